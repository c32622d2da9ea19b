//! Writing and reading impact files.
