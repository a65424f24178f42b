# SPDX-License-Identifier: GPL-2.0-only
# wgedge-bench dataplane plots; run by bench/plot.sh, which writes the data
# files, dpvars.gp and xrange.gp into datadir:
#   gnuplot -e "datadir='D'; outdir='O'" bench/plot_dp.gp
# Per direction (encrypt, decrypt, both) against inner size: the dataplane
# with each worker count (colour; solid: fewest peers, dashed: most), the
# raw crypto ceiling of the same direction on one core (black), the plain
# I/O ceiling with one worker (grey), the 10GbE line rate (dotted).
load datadir."/dpvars.gp"
load datadir."/xrange.gp"

set terminal pngcairo size 1800,680 noenhanced font "DejaVu Sans,11"
set encoding utf8

wcolor(w) = w == 1 ? "#1f77b4" : w == 2 ? "#ff7f0e" : w == 3 ? "#2ca02c" : "#d62728"
dpf(d, w, p) = sprintf("%s/dp_%s_w%d_p%d.dat", datadir, d, w, p)
iof = datadir."/io_w1.dat"
cf = datadir."/ceil.dat"
lr = datadir."/linerate.dat"
wl(w) = sprintf("%d worker%s", w, w == 1 ? "" : "s")

set xlabel "inner packet size (bytes)"
set grid xtics ytics mytics lc rgb "#dddddd"
set logscale x 2
set xrange [xmin:xmax]
set xtics ("64" 64, "128" 128, "256" 256, "512" 512, "1024" 1024, "1420" 1420)
set bars small

do for [fig = 1:2] {
	c = fig == 1 ? 5 : 2
	set output sprintf("%s/%s.png", outdir, fig == 1 ? "dp_mpps" : "dp_gbps")
	if (fig == 1) {
		set ylabel "Mpps (all workers)"
		set logscale y 10
		set yrange [dp_ymin_mpps:dp_ymax_mpps]
		set ytics ("0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500)
		set key default
		set key at graph 0.98, graph 0.8 right top box opaque samplen 2
	} else {
		set ylabel "Gbit/s of inner payload (all workers)"
		unset logscale y
		set yrange [0:dp_ymax_gbps]
		set ytics autofreq
		set key default
		set key top left box opaque samplen 2
	}
	set multiplot layout 1,3 title sprintf("wgedge dataplane, worker loop on net_ring ports, bursts of 32: %s\n%s", fig == 1 ? "Mpps" : "Gbit/s", dp_subtitle)
	do for [d in "encrypt decrypt both"] {
		cc = d eq "encrypt" ? 2 : d eq "decrypt" ? 3 : 4
		set title d.(d eq "both" ? " (a burst of each per poll)" : "")
		iot = fig == 1 ? "plain I/O ceiling, 1 worker" : sprintf("plain I/O ceiling (~%.0f Gbit/s, off the chart)", io_gbps)
		plot for [w in dp_workers] dpf(d, int(w), dp_lo) using 1:c:(column(c + 1)):(column(c + 2)) with yerrorlines lc rgb wcolor(int(w)) dt 1 lw 2 pt 7 ps 0.7 title wl(int(w)).", ".dp_lo." peer".(dp_lo == 1 ? "" : "s"), \
		     for [w in dp_workers] dpf(d, int(w), dp_hi) using 1:c with linespoints lc rgb wcolor(int(w)) dt 2 lw 1.5 pt 6 ps 0.7 title wl(int(w)).", ".dp_hi." peers", \
		     cf using 1:(fig == 1 ? column(cc) : column(cc + 3)) with lines lc rgb "black" lw 3 title "raw crypto ceiling, 1 core", \
		     iof using 1:c with lines lc rgb "#888888" lw 3 dt 1 title iot, \
		     lr using 1:(fig == 1 ? column(4) : column(2)) with lines lc rgb "#999999" dt 3 lw 2 title "10GbE line rate (computed)"
	}
	unset multiplot
}
