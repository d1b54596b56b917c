"""Open data of the labelled venues: ``/lieux.csv`` and ``/lieux.json`` in the national
standard of the lieux de médiation numérique (v1.0.2, its Table Schema shipped in
``schemas/``), and the data·inclusion v1 structures and services
(docs/opendata.md)."""
