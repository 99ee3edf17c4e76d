"""Hot spots you can defend: photos aggregated into square or hexagon cells (grid.py), then Getis-Ord
Gi* with analytical and permutation p-values, Benjamini-Hochberg FDR and the usual classes (gistar.py)."""
