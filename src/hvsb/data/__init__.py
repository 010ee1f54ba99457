"""Where raw dataset files come from: a data dir, the cache, or a verified download."""

from hvsb.data.catalogue import BBQ_CATEGORIES, CATALOGUE, DataFile, files_for
from hvsb.data.locate import locate
from hvsb.data.paths import cache_dir, data_dir_from_env

__all__ = [
    "BBQ_CATEGORIES",
    "CATALOGUE",
    "DataFile",
    "cache_dir",
    "data_dir_from_env",
    "files_for",
    "locate",
]
