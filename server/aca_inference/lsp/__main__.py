"""`python -m aca_inference.lsp`: start the daemon on stdio."""

from .server import build_server


def main() -> None:
    build_server().start_io()


if __name__ == "__main__":
    main()
