"""The tools beside the service: `assetgen bench` (bench/), `assetgen batch` (batch.py: TOML
manifests into a folder tree) and `assetgen loadtest` (loadtest.py). Each is a client of the
service or of its engine; none is on the serving path."""
