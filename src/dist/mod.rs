//! Release distribution: index, sources, fetch, unpack, install.
