# sparq_top clock constraint for downstream timing tools (OpenSTA, OpenROAD or
# a vendor flow). The RTL has one clock domain and an asynchronous active-low
# reset; every port is synchronous to clk_i.

# Target: 500 MHz in a 28 nm-class process. The longest paths are the
# requantization multiply (sparq_requant stage 1) and the load engine's line
# address add-compare; both are registered on either side.
create_clock -name clk -period 2.000 [get_ports clk_i]
set_clock_uncertainty 0.100 [get_clocks clk]

# The host and the DRAM controller drive and sample the ports from flops in
# the same clock domain; leave them 40% of the period.
set clk_port [get_ports clk_i]
set data_inputs [lsearch -inline -all -not -exact [all_inputs] $clk_port]
set_input_delay  0.800 -clock clk $data_inputs
set_output_delay 0.800 -clock clk [all_outputs]

# Reset is synchronized outside the accelerator; its release is not timed here.
set_false_path -from [get_ports rst_ni]
