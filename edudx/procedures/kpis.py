"""Plan targets measured from dossiers (KH 524/KH-PGDĐT mục 2.2); filled in by the service-targets work."""
