//! The demo data (`kamkor seed --demo`, and `kamkor serve` on an empty
//! database), loaded through `registry::batch`.

pub mod demo;
