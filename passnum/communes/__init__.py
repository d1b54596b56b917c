"""The commune reference: the Code officiel géographique's communes with their postal
codes, shipped with passnum as a file (``data/communes.csv.gz``) and never fetched at
run time."""
