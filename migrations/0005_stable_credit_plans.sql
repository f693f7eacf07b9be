-- Plans for the hot credit functions that do not depend on table statistics.
--
-- PL/pgSQL re-plans a statement on every call while its custom plans look cheaper than the
-- generic one, and with array parameters they always do: profiling showed a quarter of
-- Postgres's time in the planner. A generic plan is made once per connection instead. It must
-- not depend on statistics either: `holds` gets one insert and one delete per request, so a
-- plan made while it was nearly empty (a sequential scan) would stay in the connection's cache
-- while the table fills with dead rows. Every access in these functions is by primary key, so
-- sequential scans are ruled out.
ALTER FUNCTION place_holds SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION place_holds SET enable_seqscan = off;
ALTER FUNCTION settle_requests SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION settle_requests SET enable_seqscan = off;

-- The same churn leaves `holds` full of dead rows between autovacuum's default rounds (20% of
-- the table): vacuum it after a fixed number of changes instead, without cost-based pauses.
ALTER TABLE holds SET (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 2000,
  autovacuum_vacuum_insert_scale_factor = 0,
  autovacuum_vacuum_insert_threshold = 2000,
  autovacuum_analyze_scale_factor = 0,
  autovacuum_analyze_threshold = 2000,
  autovacuum_vacuum_cost_delay = 0
);
