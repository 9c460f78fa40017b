(ns clj-wasi.linear-memory-test
  "cljwasi.engine.LinearMemory, every instance's memory (one flat array, grown half again at a
  time), against Chicory's own ByteArrayMemory (64 KiB pages): random sequences of loads,
  stores, bulk operations and growth, in and out of bounds, must give the same values, trap
  in the same places and leave the same bytes."
  (:require [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi.engine LinearMemory)
           (com.dylibso.chicory.runtime ByteArrayMemory Memory WasmRuntimeException)
           (com.dylibso.chicory.wasm.types MemoryLimits)))

(def ^:private page Memory/PAGE_SIZE)

(def ^:private gen-addr
  "Addresses where bounds matter: low, around each page edge of a small memory, around the
  end of the int range and negative (2^31 and more as the guest's unsigned i32)."
  (gen/one-of [(gen/choose 0 64)
               (gen/fmap (fn [[p d]] (+ (* p page) d)) (gen/tuple (gen/choose 0 4) (gen/choose -9 9)))
               (gen/fmap #(- Integer/MAX_VALUE %) (gen/choose 0 9))
               (gen/choose Integer/MIN_VALUE -1)]))

(def ^:private gen-op
  (gen/one-of
   [(gen/tuple (gen/elements [:read :read-short :read-int :read-long :read-float :read-double]) gen-addr)
    (gen/tuple (gen/elements [:write-byte :write-short :write-int :write-long :write-f32 :write-f64])
               gen-addr gen/large-integer)
    (gen/tuple (gen/return :grow) (gen/choose -1 3))
    (gen/tuple (gen/return :fill) gen-addr (gen/choose 0 70000) gen/byte)
    (gen/tuple (gen/return :copy) gen-addr gen-addr (gen/choose 0 70000))
    (gen/tuple (gen/return :read-bytes) gen-addr (gen/choose 0 70000))
    (gen/tuple (gen/return :write-bytes) gen-addr (gen/choose 0 300))
    (gen/tuple (gen/return :pages))]))

(defn- apply-op
  "The op's result on `m`: a value (bytes as a vector), :ok, or :trap when the memory
  refuses it as a Wasm trap (Chicory 1.7.5 also crashes with a NullPointerException on a
  fill/copy range past 2^31 - 1, the bug LinearMemory fixes: counted as a trap too)."
  [^Memory m [op a b c]]
  (try
    (case op
      :read (.read m a)
      :read-short (.readShort m a)
      :read-int (.readInt m a)
      :read-long (.readLong m a)
      :read-float (Float/floatToRawIntBits (.readFloat m a))
      :read-double (Double/doubleToRawLongBits (.readDouble m a))
      :write-byte (do (.writeByte m a (unchecked-byte b)) :ok)
      :write-short (do (.writeShort m a (unchecked-short b)) :ok)
      :write-int (do (.writeI32 m a (unchecked-int b)) :ok)
      :write-long (do (.writeLong m a (long b)) :ok)
      :write-f32 (do (.writeF32 m a (Float/intBitsToFloat (unchecked-int b))) :ok)
      :write-f64 (do (.writeF64 m a (Double/longBitsToDouble (long b))) :ok)
      :grow (.grow m (int a))
      :fill (do (.fill m (byte c) (int a) (unchecked-int (+ a b))) :ok)
      :copy (do (.copy m (int a) (int b) (int c)) :ok)
      :read-bytes (vec (.readBytes m (int a) (int b)))
      :write-bytes (do (.write m (int a) (byte-array (map unchecked-byte (range b)))) :ok)
      :pages (.pages m))
    (catch WasmRuntimeException _ :trap)
    (catch NullPointerException e
      (if (#{:fill :copy} op) :trap (throw e)))))

(defn- contents [^Memory m]
  (vec (.readBytes m 0 (* page (.pages m)))))

(defspec behaves-as-chicorys-memory 150
  (prop/for-all [initial (gen/choose 0 2)
                 extra (gen/choose 0 3)
                 ops (gen/vector gen-op 1 40)]
    (let [limits (MemoryLimits. (int initial) (int (+ initial extra)))
          ours (LinearMemory. limits)
          theirs (ByteArrayMemory. limits)
          results (mapv (fn [o] [o (apply-op ours o) (apply-op theirs o)]) ops)
          differing (remove (fn [[_ x y]] (= x y)) results)]
      (and (empty? differing)
           (= (.pages ours) (.pages theirs))
           (= (contents ours) (contents theirs))))))

(deftest growing-page-by-page-copies-rarely
  (let [m (LinearMemory. (MemoryLimits. 1 600))
        arrays (atom #{(.array m)})]
    (.writeI32 m 8 0x12345678)
    (dotimes [i 599]
      (is (= (inc i) (.grow m 1)))
      (swap! arrays conj (.array m)))
    (testing "the array is replaced a logarithmic number of times, not once per page"
      (is (< (count @arrays) 20) (str (count @arrays) " arrays for 599 grows")))
    (testing "contents survive, new pages read zero, the size is exact"
      (is (= 0x12345678 (.readInt m 8)))
      (is (zero? (.readLong m (- (* 600 page) 8))))
      (is (= (* 600 page) (.byteSize m)))
      (is (= :trap (apply-op m [:read (* 600 page)]))))
    (testing "past the maximum: -1, nothing changes"
      (is (= -1 (.grow m 1)))
      (is (= 600 (.pages m))))))
