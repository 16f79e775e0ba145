mod desk;
mod legal;
mod public;
mod web;
