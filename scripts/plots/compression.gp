# Accuracy of the compressed Fashion-MNIST models against their size and
# their cycles on the 16x16 RTL, one point per recipe, from the data file
# scripts/plots/collect.py writes (docs/plots/compression.dat).
#   gnuplot -e "data='docs/plots/compression.dat'; outdir='docs/plots'" \
#           scripts/plots/compression.gp
set terminal svg size 720,480 font "sans,12" background rgb "white" noenhanced
set grid
set offsets graph 0.05, graph 0.2, 0.3, 0.3
set key off
set ylabel "integer test accuracy (%)"
set datafile missing "-"

set output outdir."/accuracy_vs_bytes.svg"
set title "Fashion-MNIST recipes: accuracy vs model bytes"
set xlabel "deployed integer model bytes (log scale)"
set logscale x
plot data using 3:2 with points pt 7 ps 1.2 lc rgb "#1f77b4", \
     data using 3:2:1 with labels offset 0.8,0.6 left font ",10"

set output outdir."/accuracy_vs_cycles.svg"
set title "Fashion-MNIST recipes: accuracy vs 16x16 RTL cycles (4 images)"
set xlabel "RTL cycles in the model's modes (open: mode not built, int8 cycles)"
unset logscale x
# Column 5 is '-' when the RTL does not run the model's mode: then the
# a8w8 cycles (column 6) are drawn as an open point.
plot data using 5:2 with points pt 7 ps 1.2 lc rgb "#d62728", \
     data using ($5 != $5 ? $6 : 1/0):2 with points pt 6 ps 1.2 lc rgb "#d62728", \
     data using ($5 == $5 ? $5 : $6):2:1 with labels offset 0.8,0.6 left font ",10"
