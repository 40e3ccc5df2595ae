//! `zizhu gen` and `zizhu demo`.
