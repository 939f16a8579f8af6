-- A claim is planned once per connection as a generic plan, which cannot know how few rows
-- the lateral picks will return: its cost estimate (a sort of hundreds of thousands of
-- rows) passes PostgreSQL's jit_above_cost, so on a server with JIT (the default since
-- PostgreSQL 12) every claim compiled its expressions with LLVM before running: measured
-- here, a claim of 250 executions took 20 ms with JIT and 14 ms without, and one of a single
-- execution paid the compile as well. The plan does a few hundred index probes; it never
-- gains from compiling. (A server built without JIT, and the embedded store, ignore this.)
alter function claim_executions(text, timestamptz, timestamptz, integer, text[]) set jit = off;
