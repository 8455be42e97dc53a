//! Histograms, KDEs and category frequencies for plotting.
