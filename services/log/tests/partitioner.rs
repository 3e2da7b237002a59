//! The partitioner is Kafka's, bit for bit: vectors from Kafka's `UtilsTest.testMurmur2`.

use learnlog_log::{murmur2, partition_for_key};

#[test]
fn murmur2_matches_kafka_utils_test_vectors() {
    let cases: [(&str, i32); 6] = [
        ("21", -973_932_308),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        (
            "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58_897_971,
        ),
        ("abc", 479_470_107),
    ];
    for (key, expected) in cases {
        assert_eq!(murmur2(key.as_bytes()), expected, "murmur2({key:?})");
    }
}

#[test]
fn partition_is_the_positive_hash_modulo_the_partition_count() {
    // (-973932308 & 0x7fffffff) = 1173551340
    assert_eq!(partition_for_key(b"21", 10), 1_173_551_340 % 10);
    assert_eq!(partition_for_key(b"abc", 7), 479_470_107 % 7);
    assert_eq!(partition_for_key(b"anything", 1), 0);
}

#[test]
fn every_partition_is_reachable_and_in_range() {
    let mut seen = [false; 12];
    for i in 0..1000 {
        let partition = partition_for_key(format!("key-{i}").as_bytes(), 12);
        seen[partition as usize] = true;
    }
    assert!(seen.iter().all(|&s| s));
}
