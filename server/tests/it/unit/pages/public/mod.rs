mod after;
mod before;
mod open_data;
mod profile_admin;
mod publish;
mod stats;
