-- A run's first execution is the run itself (run_id = id, attempt 1); only retries point at
-- another row. Indexing run_id for retries alone keeps every write of a first attempt (the
-- claim and the ending of almost every execution) out of this index; a run's executions are
-- the row with id = run_id plus the retries found here.
drop index executions_run_idx;
create index executions_run_idx on executions (run_id) where attempt > 1;
