mod decide;
mod inspection;
mod queue;
mod rule_names;
