-- The floor F's statement (bench/floor-server.ts), for scale against the script bench/pgbench/pay-statement.ts writes.
\set r random(1, 9000000000000)
insert into bench_floor (key) values ('f' || :r) on conflict do nothing;
