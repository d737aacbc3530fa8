"""The gRPC service: servicer -> scheduler -> runner (see DESIGN.md, "Data flow").

Only servicer.py and wire.py know the proto types; everything below them speaks the
dataclasses in jobs.py.
"""
