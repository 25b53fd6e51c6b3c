# An illegal parameter combination must stop elaboration in every RTL tool,
# with the check's own location: sparq_top with a 32-row array on a 128-bit
# DRAM port (an ACT line no longer fits one beat). The same command with the
# legal 4x4 shape must succeed, so the failure cannot come from the command
# line itself.
#
#   cmake -DRTL=<rtl dir> -DVERILATOR=<exe> [-DIVERILOG=<exe>] [-DYOSYS=<exe>]
#         -P elab_error_test.cmake

file(GLOB modules ${RTL}/sparq_*.sv)
list(REMOVE_ITEM modules ${RTL}/sparq_isa_pkg.sv)
set(sources ${RTL}/sparq_isa_pkg.sv ${modules})
set(text "sparq_top: an ACT line (ArrayRows bytes) and a WGT line (ArrayCols bytes) must fit one DRAM beat")
string(REGEX REPLACE "[()]" "\\\\\\0" message "${text}")

# Every tool must report the line of that check in sparq_top.sv.
file(READ ${RTL}/sparq_top.sv top)
string(FIND "${top}" "${text}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "FAIL: sparq_top.sv no longer has the check '${text}'")
endif()
string(SUBSTRING "${top}" 0 ${pos} before)
string(REGEX MATCHALL "\n" newlines "${before}")
list(LENGTH newlines line)
math(EXPR line "${line} + 1")
set(top_check "sparq_top.sv:${line}")

# expect(TOOL LEGAL_CMD ILLEGAL_CMD PATTERN): LEGAL_CMD exits 0, ILLEGAL_CMD
# exits non-zero with PATTERN in its output.
function(expect tool legal illegal pattern)
  execute_process(COMMAND ${${legal}} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "FAIL ${tool}: the legal 4x4 configuration did not elaborate (${rc}):\n${out}")
  endif()
  execute_process(COMMAND ${${illegal}} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "FAIL ${tool}: ArrayRows=32 with DramBits=128 elaborated:\n${out}")
  endif()
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "FAIL ${tool}: elaboration failed without the expected '${pattern}':\n${out}")
  endif()
  message(STATUS "ok ${tool}: ArrayRows=32 stops elaboration at ${top_check}")
endfunction()

# The flags the verilated build uses (sim/CMakeLists.txt).
set(vl ${VERILATOR} --lint-only -Wno-fatal -Wno-lint -Wno-style -Werror-USERERROR
       -I${RTL} ${sources} --top-module sparq_top -GArrayCols=4)
set(vl_legal ${vl} -GArrayRows=4)
set(vl_illegal ${vl} -GArrayRows=32)
expect(verilator vl_legal vl_illegal "%Error-USERERROR: [^\n]*${top_check}:[0-9]+: ${message}")

if(IVERILOG)
  set(iv ${IVERILOG} -g2012 -I${RTL} -o /dev/null -s sparq_top -Psparq_top.ArrayCols=4 ${sources})
  set(iv_legal ${iv} -Psparq_top.ArrayRows=4)
  set(iv_illegal ${iv} -Psparq_top.ArrayRows=32)
  expect(iverilog iv_legal iv_illegal "${top_check}: error: Unknown module type: sparq_illegal_parameters")
endif()

if(YOSYS)
  string(REPLACE ";" " " files "${sources}")
  set(ys ${YOSYS} -q -p "read_verilog -sv -DSYNTHESIS -I${RTL} ${files}")
  set(hier "hierarchy -check -top sparq_top -chparam ArrayCols 4")
  set(ys_legal ${ys} -p "${hier} -chparam ArrayRows 4")
  set(ys_illegal ${ys} -p "${hier} -chparam ArrayRows 32")
  expect(yosys ys_legal ys_illegal "${top_check}: ERROR: ${message}")
endif()

message(STATUS "PASS elab_error_test")
