-- Idle workers offer their free places, and a run recorded in another process starts on one
-- of them in the statement that records it.
--
-- A run recorded where no worker of the same process has room (an API or CLI process apart
-- from the workers) was queued, and a worker woken by the NOTIFY claimed it: two round trips
-- one after the other. A worker that goes idle now records its free places here, with the
-- backend of the connection it listens on; recording a run takes one place of a worker whose
-- listening backend is still the one it recorded (pg_stat_get_activity: a worker killed or
-- cut off closes it), claims the run for that worker under the config's claim lock as a claim
-- of one (migration 0023), and hands it over in a NOTIFY on grove_jobs_push. A worker never
-- runs more than its places at once; a pushed run finds it busy only when a claim of its own
-- took its places meanwhile, and then waits in its hands for the next free place. A worker
-- whose machine died without closing its connection keeps its offer until the server drops the
-- connection: a run handed to it ends "worker lost" when its lease expires, as one it had
-- claimed ahead would.
create table worker_places (
  worker_id text primary key,
  backend_pid integer not null,
  backend_start timestamptz not null,
  places integer not null check (places >= 0),
  lease_ms integer not null
);
