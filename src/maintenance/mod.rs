//! Preventive maintenance: plans, the scheduler that opens PM tickets exactly once, and
//! the planner's forecast will live here. So far only the pure parts: when a calendar
//! trigger is due (`occurrence`) and how site wall-clock time maps to instants
//! (`wall_clock`); no database or I/O belongs in those two.

pub mod meter;
pub mod occurrence;
pub mod wall_clock;
