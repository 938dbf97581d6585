"""The language server: handlers, protocol conversion, settings and the CLI.

The only package that imports pygls and lsprotocol.
"""
