//! The HSDS API under `/hsds`.
