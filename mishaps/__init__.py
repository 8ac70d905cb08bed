"""mishaps: an aerial-refuelling mishap database and PDF report generator."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mishaps")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
