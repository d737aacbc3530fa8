"""The gRPC service: servicer -> scheduler -> runner (docs/DESIGN.md, "Data flow").

servicer.py and wire.py convert proto messages; server.py only registers the service (and reads
its name from the descriptor). Everything below the servicer speaks the dataclasses in jobs.py.
"""
