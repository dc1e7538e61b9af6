//! Loading data into the registry: the demo data (`kamkor seed --demo`, and
//! `kamkor serve` on an empty database) and the generated benchmark data.
//! Both go through [`writer::Batch`], which fills the derived columns and
//! inserts in chunks inside one transaction.

pub mod demo;
pub mod generated;
pub mod writer;
