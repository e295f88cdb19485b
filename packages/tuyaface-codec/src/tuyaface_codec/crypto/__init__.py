"""Crypto backends: pycryptodome (required) and cryptography (optional, faster)."""

from __future__ import annotations

from .backend import CryptoBackend
from .select import available_backends, default_backend, get_backend

__all__ = ["CryptoBackend", "available_backends", "default_backend", "get_backend"]
