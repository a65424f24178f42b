# SPDX-License-Identifier: GPL-2.0-only
# wgedge-bench plots; run by bench/plot.sh, which writes the data files and
# vars.gp into datadir:  gnuplot -e "datadir='D'; outdir='O'" bench/plot.gp
load datadir."/vars.gp"

set terminal pngcairo size 1600,720 noenhanced font "DejaVu Sans,11"
set encoding utf8

color(a) = a eq "avx512" ? "#1f77b4" : a eq "avx2" ? "#ff7f0e" : \
	   a eq "sse" ? "#2ca02c" : "#d62728"
dat(kind, d, a, p) = sprintf("%s/%s_%s_%s_p%d.dat", datadir, kind, d, a, p)
peers_label(p) = sprintf("%d peer%s", p, p == 1 ? "" : "s")
lr = datadir."/linerate.dat"

# The plot of one panel: the smallest peer count, solid.
main_plot = "plot for [a in archs] dat('fixed', d, a, p_lo) using 1:c:(column(c + 1)):(column(c + 2)) with yerrorlines lc rgb color(a) dt 1 lw 2 pt 7 ps 0.8 title a.', '.peers_label(p_lo)"
# Clauses appended to it, by string (a macro in a loop would be expanded once): c is the figure's median column, its
# min and max follow it; k the line-rate column (0: none).
hi_clause(c) = p_hi == p_lo ? "" : sprintf( \
	", for [a in archs] dat('fixed', d, a, p_hi) using 1:%d:%d:%d with yerrorlines lc rgb color(a) dt 2 lw 1.5 pt 6 ps 0.8 notitle, NaN with lines lc 'black' dt 2 lw 1.5 title '%s (dashed)'", \
	c, c + 1, c + 2, peers_label(p_hi))
imix_clause(c) = !has_imix ? "" : sprintf( \
	", for [a in archs] dat('imix', d, a, p_lo) using 1:%d:%d:%d with yerrorbars lc rgb color(a) pt 5 ps 1.5 notitle, NaN with points lc 'black' pt 5 ps 1.5 title 'IMIX, %s (at its mean size)'", \
	c, c + 1, c + 2, peers_label(p_lo))
lr_clause(k, both) = k == 0 ? "" : sprintf( \
	", lr using 1:%d with lines lc rgb '#999999' dt 3 lw 2 title '10GbE line rate (computed)'", k) . \
	(both ? sprintf(", lr using 1:%d with lines lc rgb '#444444' dt 3 lw 2 title '40GbE line rate (computed)'", k + 1) : "")

set xlabel "inner packet size (bytes)"
set grid xtics ytics mytics lc rgb "#dddddd"
set key top left box opaque samplen 3 spacing 1.1
set bars small

# One PNG: a seal panel and an open panel of the figure in column c.
do for [fig = 1:3] {
	c = fig == 1 ? 2 : fig == 2 ? 5 : 8
	# Line rates: 10GbE for Gbit/s (40GbE would squash the curves), both
	# for Mpps (log scale), none for cycles.
	k = fig == 1 ? 2 : fig == 2 ? 4 : 0
	lr_both = fig == 2
	name = fig == 1 ? "gbps" : fig == 2 ? "mpps" : "cycles"
	what = fig == 1 ? "Gbit/s of inner payload" : \
	       fig == 2 ? "Mpps (million packets per second)" : \
	       "TSC cycles per packet"
	set output sprintf("%s/%s.png", outdir, name)
	set ylabel what
	# Sizes double on a log axis; cycles against a linear one, where a
	# per-packet cost plus a per-byte cost draws a straight line.
	if (fig == 3) {
		unset logscale x
		set xrange [0:1500]
		set xtics ("64" 64, "256" 256, "512" 512, "768" 768, "1024" 1024, "1420" 1420)
	} else {
		set logscale x 2
		set xrange [xmin:xmax]
		set xtics ("64" 64, "128" 128, "256" 256, "512" 512, "1024" 1024, "1420" 1420)
	}
	if (fig == 2) {
		set logscale y 10
		set yrange [ymin_mpps:ymax_mpps]
		set ytics ("0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50)
		set key bottom left
	} else {
		unset logscale y
		set yrange [0:(fig == 1 ? ymax_gbps : ymax_cycles)]
		set ytics autofreq
		set key top left
	}
	H = hi_clause(c)
	I = imix_clause(c)
	L = lr_clause(k, lr_both)
	set multiplot layout 1,2 title sprintf("wgedge crypto ceilings, one core, bursts of 32: %s\n%s", what, subtitle)
	do for [d in "seal open"] {
		set title (d eq "seal" ? "seal (encrypt), in place" : "open (decrypt, tag checked), in place")
		eval main_plot . H . I . L
	}
	unset multiplot
}
