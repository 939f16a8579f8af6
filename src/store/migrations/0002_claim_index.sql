-- Workers claim per config: find a config's due queued executions without reading the others.
create index executions_config_queue_idx on executions (config_id, run_after, queued_at) where status = 'queued';
