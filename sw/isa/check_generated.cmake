# Compares (MODE=check) or rewrites (MODE=regen) every file generated from
# sw/isa/isa.def, so the committed copies cannot drift from the definition.
# The C++ side needs no generated file: sw/isa.h expands isa.def itself.
#
#   cmake -DISAGEN=<sparq_isagen> -DSRC=<source dir> -DMODE=check|regen \
#         -P check_generated.cmake

function(sparq_isa_output kind rel)
  execute_process(COMMAND ${ISAGEN} ${kind}
                  OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sparq_isagen ${kind} failed (exit ${rc})")
  endif()
  if(MODE STREQUAL "regen")
    file(WRITE ${SRC}/${rel} "${text}")
    message(STATUS "wrote ${rel}")
  else()
    file(READ ${SRC}/${rel} committed)
    if(NOT committed STREQUAL text)
      message(FATAL_ERROR
        "${rel} is not the output of `sparq_isagen ${kind}` for the current "
        "sw/isa/isa.def; regenerate it with `cmake --build <build> --target "
        "isa_regen` (never edit it by hand)")
    endif()
  endif()
endfunction()

if(NOT MODE STREQUAL "check" AND NOT MODE STREQUAL "regen")
  message(FATAL_ERROR "MODE must be check or regen, got '${MODE}'")
endif()
# The whole list: the Verilog package (field positions, buffer codes, PARAM
# record, counter / config-register map, constants) and its reference tables.
sparq_isa_output(sv rtl/sparq_isa_pkg.sv)
sparq_isa_output(md docs/isa.md)
