//! The ground floor: small helpers every stage may use and that use no stage.
//!
//! * [`hash`]: the 64-bit mixers behind row priorities and label hashes, and the one definition of
//!   a dataset's content hash (the key of a cached baseline profile).
//! * [`rng`]: a seeded generator whose stream is fixed by its definition, and seeds derived from
//!   names, so that a seed means the same thing in every build.
//! * [`text`]: the date layout, `az://` locations, error chains and panic messages.
//! * [`output`]: writing a file a user named on the command line (atomic, never over a link or a
//!   special file).

pub mod hash;
pub mod output;
pub mod rng;
pub mod text;
