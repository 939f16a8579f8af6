-- Live event streams poll for executions that ended since their last look.
create index executions_finished_idx on executions (finished_at) where finished_at is not null;
