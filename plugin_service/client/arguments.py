"""Command-line arguments every client command shares (`assetgen generate`, `models`, `wait`,
`batch`, `loadtest`): the server address and the credentials, each with its environment variable."""
from __future__ import annotations

import argparse
import os

from ..vocabulary import DEFAULT_ADDRESS


def add_address_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", default=os.environ.get("ASSETGEN_ADDRESS", DEFAULT_ADDRESS),
                        help=f"server host:port [env ASSETGEN_ADDRESS; default {DEFAULT_ADDRESS}]")


def add_credential_arguments(parser: argparse.ArgumentParser) -> None:
    """--token and --tls-ca."""
    parser.add_argument("--token", default=os.environ.get("ASSETGEN_TOKEN", ""),
                        help="bearer token, when the server has a tokens file [env ASSETGEN_TOKEN]")
    parser.add_argument("--tls-ca", default=os.environ.get("ASSETGEN_TLS_CA", ""),
                        help="PEM file of the CA that signed the server's TLS certificate; unset = plaintext "
                             "[env ASSETGEN_TLS_CA]")
