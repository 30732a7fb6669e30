-- LIME schema 9 (PostgreSQL only; SQLite is one node and has no owners): room ownership (Cluster/PartitionLeases.cs).
-- Rooms map to partitions (room_id mod Lime:Cluster:Partitions). A partition's owner is whoever holds its session
-- advisory lock; this table only tells the other nodes where to forward, written by the lock holder right after it
-- took the lock (epoch + 1) and cleared (node_id NULL) when it lets the partition go. A stale row costs a retry,
-- never correctness: the room row lock and gap-free seq stay the guard.
CREATE TABLE room_partitions (
    partition     integer PRIMARY KEY,
    node_id       integer,
    internal_url  text,
    epoch         bigint  NOT NULL,
    since         bigint  NOT NULL
);
