(ns clj-wasi.bench.kernels
  "The issue-15 kernel sets of the benchmark: the real-code set (bench/wasm/src: vm,
  sortcmp, lz77, hashmap, vcall, biquad) and the SIMD set (simd_dot, simd_scan,
  simd_blend, built with -msimd128): their workloads and, for each, the output it must
  print, computed here on the JVM from the same inputs (xorshift64*, as in
  bench/wasm/src/xorshift.h) by an independent implementation of what the C computes.
  lz77's expected lines are the output of the same C built natively
  (bench/wasm/native-expected.sh): a compressor's exact output has no simpler oracle.")

(set! *warn-on-reflection* true)
(set! *unchecked-math* :warn-on-boxed)

;; ---------------------------------------------------------------------------
;; workloads: ~0.3-0.7 s each on Node in the full configuration

(def realcode-full
  [{:name "vm" :args ["100000"] :what "bytecode VM: Collatz steps of 1..100k"}
   {:name "sortcmp" :args ["200000" "5"] :what "qsort + comparator, 200k records x5"}
   {:name "lz77" :args ["2048" "5"] :what "LZ77 hash chains, 2 MiB text x5"}
   {:name "hashmap" :args ["4000000" "100000"] :what "open addressing, 4M ops on 100k string keys"}
   {:name "vcall" :args ["8000" "4096"] :what "vtable calls, 8000 rounds x 4096 objects"}
   {:name "biquad" :args ["20000000"] :what "f64 biquad bank 4x4, 20M samples"}])

(def realcode-quick
  [{:name "vm" :args ["10000"] :what "bytecode VM: Collatz steps of 1..10k"}
   {:name "sortcmp" :args ["50000" "1"] :what "qsort + comparator, 50k records"}
   {:name "lz77" :args ["256" "1"] :what "LZ77 hash chains, 256 KiB text"}
   {:name "hashmap" :args ["400000" "100000"] :what "open addressing, 400k ops on 100k string keys"}
   {:name "vcall" :args ["500" "4096"] :what "vtable calls, 500 rounds x 4096 objects"}
   {:name "biquad" :args ["1000000"] :what "f64 biquad bank 4x4, 1M samples"}])

(def simd-full
  [{:name "simd_dot" :args ["4096" "200000"] :what "f32x4 saxpy + dot, 4096 floats x200k"}
   {:name "simd_scan" :args ["4096" "200"] :what "i8x16 byte counts, 4 MiB x200 x3 bytes"}
   {:name "simd_blend" :args ["262144" "200"] :what "auto-vectorised RGBA blend, 256k px x200"}])

(def simd-quick
  [{:name "simd_dot" :args ["4096" "10000"] :what "f32x4 saxpy + dot, 4096 floats x10k"}
   {:name "simd_scan" :args ["1024" "10"] :what "i8x16 byte counts, 1 MiB x10 x3 bytes"}
   {:name "simd_blend" :args ["65536" "10"] :what "auto-vectorised RGBA blend, 64k px x10"}])

;; ---------------------------------------------------------------------------
;; the generator

(defn xorshift64*
  "A generator with xorshift.h's seed: each call returns the next u64 (as a long)."
  []
  (let [state (long-array [(unchecked-long 0x9E3779B97F4A7C15)])
        mul (unchecked-long 0x2545F4914F6CDD1D)]
    (fn ^long []
      (let [x (aget state 0)
            x (bit-xor x (unsigned-bit-shift-right x 12))
            x (bit-xor x (bit-shift-left x 25))
            x (bit-xor x (unsigned-bit-shift-right x 27))]
        (aset state 0 x)
        (unchecked-multiply x mul)))))

(defn- arg [args i] (parse-long (nth args i)))
(defn- u64 [^long x] (Long/toUnsignedString x))
(def ^:private ^:const u32-mask 0xFFFFFFFF)
(def ^:private ^:const two-pow-53 (Math/scalb (double 1.0) (int -53)))
(def ^:private ^:const two-pow-24 (Math/scalb (double 1.0) (int -24)))
(def ^:private ^:const two-pow-10 (Math/scalb (double 1.0) (int -10)))

;; ---------------------------------------------------------------------------
;; the real-code set

(defn- collatz-total
  "What vm.wasm's bytecode computes: the sum over 1..n of the Collatz steps to 1."
  ^long [^long n]
  (loop [i 1 total 0]
    (if (> i n)
      total
      (recur (inc i)
             (long (loop [x i t total]
                     (if (= x 1) t (recur (if (odd? x) (inc (* 3 x)) (bit-shift-right x 1)) (inc t)))))))))

(def ^:private ^:const fnv64-prime 0x100000001b3)

(defn- sortcmp-hash
  "Records (key, id) packed as key << 32 | id sort like sortcmp.c's comparator (key, then
  id, both unsigned and below 2^31)."
  [^long n ^long reps]
  (let [next! (xorshift64*)
        a (long-array n)]
    (loop [r 0 h (unchecked-long 0xcbf29ce484222325)]
      (if (= r reps)
        (format "%016x" h)
        (do (dotimes [i n]
              (aset a i (bit-or (bit-shift-left (unsigned-bit-shift-right (long (next!)) 44) 32) i)))
            (java.util.Arrays/sort a)
            (recur (inc r)
                   (long (loop [i 0 h h]
                     (if (= i n)
                       h
                       (let [v (aget a i)
                             h (unchecked-multiply (bit-xor h (unsigned-bit-shift-right v 32)) fnv64-prime)]
                         (recur (inc i) (unchecked-multiply (bit-xor h (bit-and v u32-mask)) fnv64-prime))))))))))))

(defn- hashmap-line
  "hashmap.c's operations replayed on a java.util.HashMap (a key's string is a function of
  its number, so the number stands for it)."
  [^long ops ^long keys]
  (let [next! (xorshift64*)
        m (java.util.HashMap.)]
    (loop [i 0 hits 0 deletes 0 sum 0]
      (if (= i ops)
        (format "%d %d %d %s" (.size m) hits deletes (u64 sum))
        (let [r (long (next!))
              k (Long/valueOf (rem (unsigned-bit-shift-right r 8) keys))]
          (case (int (bit-and r 3))
            (0 1) (do (.put m k (+ (long (or (.get m k) 0)) i)) (recur (inc i) hits deletes sum))
            2 (if-let [v (.get m k)]
                (recur (inc i) (inc hits) deletes (unchecked-add sum (long v)))
                (recur (inc i) hits deletes sum))
            3 (if (.remove m k) (recur (inc i) hits (inc deletes) sum) (recur (inc i) hits deletes sum))))))))

(defn- vcall-line
  "vcall.c's four object kinds, dispatched with a case on the kind instead of a vtable."
  [^long rounds ^long n]
  (let [next! (xorshift64*)
        kind (int-array n) a (long-array n) b (long-array n)]
    (dotimes [i n]
      (let [r (long (next!))
            k (bit-and r 3)
            seed (unsigned-bit-shift-right r 32)]
        (aset kind i (int k))
        (aset a i seed)
        (aset b i (if (= k 2) (bit-or seed 1) 0))))
    (loop [round 0 x 1 sum 0]
      (if (= round rounds)
        (format "%d %s" x (u64 sum))
        (let [[x sum] (loop [i 0 x x sum sum]
                        (if (= i n)
                          [x sum]
                          (let [ai (aget a i)
                                x (case (aget kind i)
                                    0 (let [v (bit-and (+ ai x) u32-mask)] (aset a i v) v)
                                    1 (let [v (bit-and (* (bit-xor ai x) 0x9E3779B1) u32-mask)]
                                        (aset a i v) (unsigned-bit-shift-right v 7))
                                    2 (let [s (bit-and x 31)
                                            rot (bit-and (bit-or (bit-shift-left ai s) (unsigned-bit-shift-right ai (- 32 s)))
                                                         u32-mask)
                                            v (bit-and (+ rot (aget b i)) u32-mask)]
                                        (aset a i v) v)
                                    3 (let [bi (bit-and (+ (aget b i) (bit-and x 0xff)) u32-mask)
                                            v (bit-and (+ ai bi) u32-mask)]
                                        (aset b i bi) (aset a i v) (bit-xor v bi)))]
                            (recur (inc i) x (unchecked-add sum x)))))]
          (recur (inc round) (long x) (long sum)))))))

(def ^:private biquad-coef
  ;; b0 b1 b2 a1 a2 per section, as in biquad.c
  [[0.0675 0.135 0.0675 -1.143 0.4128]
   [0.2 0.0 -0.2 -1.2 0.6]
   [0.8 -1.6 0.8 -1.5 0.64]
   [0.5 0.3 0.1 -0.3 0.2]])

(defn- f64-line
  "The f64 as the kernels print it: its bits in hex, then %.6f (a plain rendering for
  people; the bits are what must match)."
  [^double d]
  (format "%016x (%s)" (Double/doubleToRawLongBits d)
          (.toPlainString (.setScale (BigDecimal. d) 6 java.math.RoundingMode/HALF_EVEN))))

(defn- biquad-sum
  "biquad.c's filter bank in the same order of f64 operations (Java's double arithmetic is
  IEEE binary64 like Wasm's, and neither fuses multiply-adds)."
  ^double [^long samples]
  (let [next! (xorshift64*)
        ^doubles c (double-array (flatten biquad-coef))
        gain (double-array [1.0 0.5 -0.75 0.25])
        z1 (double-array 16) z2 (double-array 16)]
    (loop [k 0 sum 0.0]
      (if (= k samples)
        sum
        (let [in (- (* (double (unsigned-bit-shift-right (long (next!)) 11)) two-pow-53) 0.5)]
          (recur (inc k)
                 (double
                  (loop [ch 0 sum sum]
                   (if (= ch 4)
                     sum
                     (let [y (double (loop [s 0 x (* in (aget gain ch))]
                               (if (= s 4)
                                 x
                                 (let [j (+ (* ch 4) s) o (* s 5)
                                       y (+ (* (aget c o) x) (aget z1 j))]
                                   (aset z1 j (+ (- (* (aget c (+ o 1)) x) (* (aget c (+ o 3)) y)) (aget z2 j)))
                                   (aset z2 j (- (* (aget c (+ o 2)) x) (* (aget c (+ o 4)) y)))
                                   (recur (inc s) y)))))]
                       (recur (inc ch) (+ sum y))))))))))))

;; ---------------------------------------------------------------------------
;; the SIMD set

(defmacro ^:private f32
  "x rounded to f32 (as a double)."
  [x]
  `(double (float ~x)))

(defn- simd-dot-total
  "simd_dot.c in f32: every single operation is done in f64 and rounded to f32, which for
  one +, - or * gives exactly the f32 result (f64 has more than 2 x 24 + 2 bits)."
  ^double [^long n ^long reps]
  (let [next! (xorshift64*)
        n (bit-and n -4)
        fill (fn [] (let [v (double-array n)]
                      (dotimes [i n]
                        (aset v i (- (* (double (unsigned-bit-shift-right (long (next!)) 40)) two-pow-24) 0.5)))
                      v))
        ^doubles x (fill)
        ^doubles y (fill)
        acc (double-array 4)]
    (loop [r 0 total 0.0]
      (if (= r reps)
        total
        (let [a (if (odd? r) (- two-pow-10) two-pow-10)]
          (java.util.Arrays/fill acc 0.0)
          (dotimes [i n]
            (let [xi (aget x i)
                  yi (f32 (+ (f32 (* a xi)) (aget y i)))
                  lane (bit-and i 3)]
              (aset y i yi)
              (aset acc lane (f32 (+ (aget acc lane) (f32 (* xi yi)))))))
          (recur (inc r)
                 (+ total (f32 (+ (f32 (+ (aget acc 0) (aget acc 1))) (f32 (+ (aget acc 2) (aget acc 3))))))))))))

(def ^:private ^"[J" scan-alphabet
  (long-array (map long (.getBytes "etaoinshrdlucmfwypvbgkqjx  \n  \n " "US-ASCII"))))

(defn- simd-scan-line [^long kib ^long reps]
  (let [next! (xorshift64*)
        n (* kib 1024)
        counts (long-array 256)]
    (loop [i 0]
      (when (< i n)
        (let [r (long (next!))]
          (dotimes [k 8]
            (let [ch (aget scan-alphabet (bit-and (unsigned-bit-shift-right r (* 8 k)) 31))]
              (aset counts ch (inc (aget counts ch))))))
        (recur (+ i 8))))
    (format "%d %d %d" (* reps (aget counts 10)) (* reps (aget counts 32)) (* reps (aget counts 101)))))

(defn- simd-blend-hash
  "simd_blend.c's checksum. The output byte depends only on the two input bytes and alpha,
  so the pixels are counted by (a, b) pair once and every repetition sums over pairs."
  [^long pixels ^long reps]
  (let [next! (xorshift64*)
        n (* pixels 4)
        pairs (long-array 65536)]
    (loop [i 0]
      (when (< i n)
        (let [r (long (next!)) s (long (next!))]
          (dotimes [k (min 8 (- n i))]
            (let [p (bit-or (bit-shift-left (bit-and (unsigned-bit-shift-right r (* 8 k)) 255) 8)
                            (bit-and (unsigned-bit-shift-right s (* 8 k)) 255))]
              (aset pairs p (inc (aget pairs p))))))
        (recur (+ i 8))))
    (loop [r 0 h 0]
      (if (= r reps)
        (u64 h)
        (let [alpha (bit-and (* r 37) 255)
              sum (long (loop [p 0 sum 0]
                    (if (= p 65536)
                      sum
                      (let [t (+ (* (bit-shift-right p 8) alpha) (* (bit-and p 255) (- 255 alpha)) 128)
                            out (bit-shift-right (+ t (bit-shift-right t 8)) 8)]
                        (recur (inc p) (+ sum (* out (aget pairs p))))))))]
          (recur (inc r) (unchecked-add (unchecked-multiply h 31) (bit-and sum u32-mask))))))))

;; ---------------------------------------------------------------------------

(def ^:private lz77-native
  ;; bench/wasm/native-expected.sh lz77 "256 1" "2048 5"
  {["256" "1"] "lz77(256 KiB x 1) = 135757 1ed2d17d\n"
   ["2048" "5"] "lz77(2048 KiB x 5) = 1069211 22a56f9a\n"})

(defn expected-output
  "The exact stdout of kernel `name` run with `args`, or nil when it is not one of this
  namespace's kernels."
  [{:keys [name args]}]
  (let [a #(long (arg args %))]
    (case name
      "vm" (format "vm(%d) = %d\n" (a 0) (collatz-total (a 0)))
      "sortcmp" (format "sortcmp(%d x %d) = %s\n" (a 0) (a 1) (sortcmp-hash (a 0) (a 1)))
      "lz77" (or (lz77-native args)
                 (throw (ex-info (str "no native lz77 output for " args
                                      "; run bench/wasm/native-expected.sh lz77 and add it")
                                 {:type :bench/no-expected-output})))
      "hashmap" (format "hashmap(%d/%d) = %s\n" (a 0) (a 1) (hashmap-line (a 0) (a 1)))
      "vcall" (format "vcall(%d x %d) = %s\n" (a 0) (a 1) (vcall-line (a 0) (a 1)))
      "biquad" (format "biquad(%d) = %s\n" (a 0) (f64-line (biquad-sum (a 0))))
      "simd_dot" (format "simd_dot(%d x %d) = %s\n" (bit-and (long (a 0)) -4) (a 1) (f64-line (simd-dot-total (a 0) (a 1))))
      "simd_scan" (format "simd_scan(%d KiB x %d) = %s\n" (a 0) (a 1) (simd-scan-line (a 0) (a 1)))
      "simd_blend" (format "simd_blend(%d x %d) = %s\n" (a 0) (a 1) (simd-blend-hash (a 0) (a 1)))
      nil)))
