(ns clj-wasi.simd-test
  "128-bit SIMD: every fixed-width instruction against an independent scalar reference
  written here, on random lanes with NaNs, infinities, -0.0, extremes and overflow
  cases; v128 interop with the interpreter's locals, globals, calls and blocks; engine
  selection; and a real C program built with and without -msimd128."
  (:require [clj-wasi.test-util :refer [wasm thrown-data]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.io ByteArrayOutputStream)
           (java.nio ByteBuffer ByteOrder)))

;; ---- v128 values as 16-byte arrays, lanes as longs / floats / doubles ---------------

(defn- buf ^ByteBuffer [^bytes bs] (.order (ByteBuffer/wrap bs) ByteOrder/LITTLE_ENDIAN))

(defn- lanes
  "The lanes of 16 bytes `bs` as longs: `w` bytes each, sign-extended when `signed?`."
  [^bytes bs w signed?]
  (let [b (buf bs)]
    (vec (for [i (range (quot 16 w))]
           (case (int w)
             1 (let [v (long (.get b (int i)))] (if signed? v (bit-and v 0xFF)))
             2 (let [v (long (.getShort b (int (* 2 i))))] (if signed? v (bit-and v 0xFFFF)))
             4 (let [v (long (.getInt b (int (* 4 i))))] (if signed? v (bit-and v 0xFFFFFFFF)))
             8 (.getLong b (int (* 8 i))))))))

(defn- unlanes
  "16 bytes from lanes `vs` of `w` bytes each (values wrap)."
  ^bytes [w vs]
  (let [bs (byte-array 16) b (buf bs)]
    (doseq [[i v] (map-indexed vector vs)]
      (case (int w)
        1 (.put b (int i) (unchecked-byte v))
        2 (.putShort b (int (* 2 i)) (unchecked-short v))
        4 (.putInt b (int (* 4 i)) (unchecked-int v))
        8 (.putLong b (int (* 8 i)) (long v))))
    bs))

(defn- f32s [^bytes bs] (mapv #(Float/intBitsToFloat (unchecked-int %)) (lanes bs 4 true)))
(defn- f64s [^bytes bs] (mapv #(Double/longBitsToDouble %) (lanes bs 8 true)))
(defn- from-f32s ^bytes [fs] (unlanes 4 (map #(Float/floatToRawIntBits (unchecked-float %)) fs)))
(defn- from-f64s ^bytes [ds] (unlanes 8 (map #(Double/doubleToRawLongBits (double %)) ds)))

(defn- nan? [x] (Double/isNaN (double x)))
(defn- neg-zero? [x] (and (zero? (double x)) (neg? (Math/copySign 1.0 (double x)))))

;; ---- the scalar reference -------------------------------------------------------------

(def ^:private widths {"i8x16" 1 "i16x8" 2 "i32x4" 4 "i64x2" 8})
(def ^:private bit-widths {"i8x16" 8 "i16x8" 16 "i32x4" 32 "i64x2" 64})

(defn- sat [lo hi v] (max lo (min hi v)))
(defn- smin [shape] (unchecked-negate (bit-shift-left 1 (dec (bit-widths shape)))))
(defn- smax [shape] (unchecked-dec (bit-shift-left 1 (dec (bit-widths shape)))))
(defn- umax [shape] (unchecked-dec (bit-shift-left 1 (bit-widths shape))))
(defn- mask-of [b] (if b -1 0))

(defn- u64< [a b] (neg? (Long/compareUnsigned a b)))

(defn- int-binary
  "Reference for a lane-wise integer binary op `op` of `shape`: (fn [a b]) on longs,
  given signed and unsigned lanes."
  [shape op]
  (let [lo (smin shape) hi (smax shape) uhi (umax shape)]
    (case op
      "eq" [:s #(mask-of (= %1 %2))] "ne" [:s #(mask-of (not= %1 %2))]
      "lt_s" [:s #(mask-of (< %1 %2))] "gt_s" [:s #(mask-of (> %1 %2))]
      "le_s" [:s #(mask-of (<= %1 %2))] "ge_s" [:s #(mask-of (>= %1 %2))]
      "lt_u" [:u #(mask-of (< %1 %2))] "gt_u" [:u #(mask-of (> %1 %2))]
      "le_u" [:u #(mask-of (<= %1 %2))] "ge_u" [:u #(mask-of (>= %1 %2))]
      "add" [:s unchecked-add] "sub" [:s unchecked-subtract] "mul" [:s unchecked-multiply]
      "add_sat_s" [:s #(sat lo hi (+ %1 %2))] "sub_sat_s" [:s #(sat lo hi (- %1 %2))]
      "add_sat_u" [:u #(sat 0 uhi (+ %1 %2))] "sub_sat_u" [:u #(sat 0 uhi (- %1 %2))]
      "min_s" [:s min] "max_s" [:s max] "min_u" [:u min] "max_u" [:u max]
      "avgr_u" [:u #(quot (+ %1 %2 1) 2)]
      "q15mulr_sat_s" [:s #(sat lo hi (bit-shift-right (+ (* %1 %2) 0x4000) 15))]
      nil)))

(defn- f-min [a b]
  (cond (or (nan? a) (nan? b)) Double/NaN
        (and (zero? a) (zero? b)) (if (or (neg-zero? a) (neg-zero? b)) -0.0 0.0)
        :else (if (< a b) a b)))

(defn- f-max [a b]
  (cond (or (nan? a) (nan? b)) Double/NaN
        (and (zero? a) (zero? b)) (if (and (neg-zero? a) (neg-zero? b)) -0.0 0.0)
        :else (if (> a b) a b)))

(defn- trunc-sat [x lo hi]
  (cond (nan? x) 0
        (<= x (double lo)) lo
        (>= x (double hi)) hi
        :else (long x)))

(defn- f-round [op x]
  (case op
    "ceil" (Math/ceil x) "floor" (Math/floor x) "nearest" (Math/rint x)
    "trunc" (if (neg? x) (Math/ceil x) (Math/floor x))
    "sqrt" (Math/sqrt x)))

(defn- float-binary
  "Reference for float binary `op`: returns [kind f] where kind :mask gives a lane mask,
  :arith an arithmetic result, :bits returns one operand's exact bits."
  [op]
  (case op
    "eq" [:mask #(= (double %1) (double %2))] "ne" [:mask #(not (== %1 %2))]
    "lt" [:mask #(< %1 %2)] "gt" [:mask #(> %1 %2)] "le" [:mask #(<= %1 %2)] "ge" [:mask #(>= %1 %2)]
    "add" [:arith +] "sub" [:arith -] "mul" [:arith *] "div" [:arith #(/ (double %1) (double %2))]
    "min" [:arith f-min] "max" [:arith f-max]
    "pmin" [:bits #(if (< %2 %1) 1 0)] "pmax" [:bits #(if (< %1 %2) 1 0)]))

(defn- reference
  "The expected 16 bytes of binary/unary op `name` on A, B (byte arrays), or nil when the
  op is not a lane-wise binary/unary one handled here."
  [name ^bytes a ^bytes b]
  (let [[shape op] (str/split name #"\.")
        w (widths shape)]
    (cond
      (and (= shape "v128") (#{"and" "or" "xor" "andnot" "not"} op))
      (let [la (lanes a 8 true) lb (lanes b 8 true)]
        (unlanes 8 (case op
                     "and" (map bit-and la lb) "or" (map bit-or la lb) "xor" (map bit-xor la lb)
                     "andnot" (map #(bit-and %1 (bit-not %2)) la lb)
                     "not" (map bit-not la)
                     nil)))

      (and w (int-binary shape op))
      (let [[sign f] (int-binary shape op)
            s? (= sign :s)]
        (unlanes w (map f (lanes a w s?) (lanes b w s?))))

      (and w (str/starts-with? op "narrow_"))
      (let [src (if (= shape "i8x16") 2 4)
            lo (if (str/ends-with? op "_s") (smin shape) 0)
            hi (if (str/ends-with? op "_s") (smax shape) (umax shape))]
        (unlanes w (map #(sat lo hi %) (concat (lanes a src true) (lanes b src true)))))

      (and w (str/starts-with? op "extmul_"))
      (let [src (quot w 2)
            s? (str/ends-with? op "_s")
            half (if (str/includes? op "_low_") take take-last)
            n (quot 16 w)]
        (unlanes w (map unchecked-multiply (half n (lanes a src s?)) (half n (lanes b src s?)))))

      (and w (str/starts-with? op "extend_"))
      (let [src (quot w 2) s? (str/ends-with? op "_s")
            half (if (str/includes? op "_low_") take take-last)]
        (unlanes w (half (quot 16 w) (lanes a src s?))))

      (and w (str/starts-with? op "extadd_pairwise_"))
      (let [src (quot w 2) s? (str/ends-with? op "_s")]
        (unlanes w (map #(apply + %) (partition 2 (lanes a src s?)))))

      (= name "i32x4.dot_i16x8_s")
      (unlanes 4 (map #(apply + %) (partition 2 (map * (lanes a 2 true) (lanes b 2 true)))))

      (= name "i8x16.swizzle")
      (let [la (lanes a 1 false)]
        (unlanes 1 (map #(if (< % 16) (nth la %) 0) (lanes b 1 false))))

      (and w (#{"abs" "neg" "popcnt"} op))
      (unlanes w (map (case op "abs" #(Math/abs (long %)) "neg" unchecked-negate
                            "popcnt" #(Long/bitCount %))
                      (lanes a w (not= op "popcnt"))))

      (#{"f32x4" "f64x2"} shape)
      (let [f32? (= shape "f32x4")
            [fa fb] (if f32? [(f32s a) (f32s b)] [(f64s a) (f64s b)])
            ia (lanes a (if f32? 4 8) true) ib (lanes b (if f32? 4 8) true)
            back (if f32? #(from-f32s (map unchecked-float %)) from-f64s)]
        (case op
          ("eq" "ne" "lt" "gt" "le" "ge")
          (unlanes (if f32? 4 8) (map (comp mask-of (second (float-binary op))) fa fb))
          ("add" "sub" "mul" "div" "min" "max") (back (map (second (float-binary op)) fa fb))
          ("pmin" "pmax")
          (unlanes (if f32? 4 8) (map (fn [x y i j] (if (pos? ((second (float-binary op)) x y)) j i))
                                      fa fb ia ib))
          "abs" (unlanes (if f32? 4 8) (map #(bit-and % (if f32? 0x7FFFFFFF Long/MAX_VALUE)) ia))
          "neg" (unlanes (if f32? 4 8) (map #(bit-xor % (if f32? 0x80000000 Long/MIN_VALUE)) ia))
          ("sqrt" "ceil" "floor" "trunc" "nearest") (back (map #(f-round op (double %)) fa))
          "convert_i32x4_s" (from-f32s (map #(unchecked-float (double %)) (lanes a 4 true)))
          "convert_i32x4_u" (from-f32s (map #(unchecked-float (double %)) (lanes a 4 false)))
          "demote_f64x2_zero" (from-f32s (concat (map unchecked-float (f64s a)) [0.0 0.0]))
          "convert_low_i32x4_s" (from-f64s (map double (take 2 (lanes a 4 true))))
          "convert_low_i32x4_u" (from-f64s (map double (take 2 (lanes a 4 false))))
          "promote_low_f32x4" (from-f64s (map double (take 2 (f32s a))))
          nil))

      (= name "i32x4.trunc_sat_f32x4_s")
      (unlanes 4 (map #(trunc-sat % Integer/MIN_VALUE Integer/MAX_VALUE) (f32s a)))
      (= name "i32x4.trunc_sat_f32x4_u")
      (unlanes 4 (map #(trunc-sat % 0 0xFFFFFFFF) (f32s a)))
      (= name "i32x4.trunc_sat_f64x2_s_zero")
      (unlanes 4 (concat (map #(trunc-sat % Integer/MIN_VALUE Integer/MAX_VALUE) (f64s a)) [0 0]))
      (= name "i32x4.trunc_sat_f64x2_u_zero")
      (unlanes 4 (concat (map #(trunc-sat % 0 0xFFFFFFFF) (f64s a)) [0 0])))))

(defn- float-result
  "For ops whose result lanes are floats that may be NaN: :f32 or :f64."
  [name]
  (let [[shape op] (str/split name #"\.")]
    (cond
      (#{"add" "sub" "mul" "div" "min" "max" "sqrt" "ceil" "floor" "trunc" "nearest"} op)
      (keyword (subs shape 0 3))
      (= op "demote_f64x2_zero") :f32
      (= op "promote_low_f32x4") :f64)))

(defn- same-result?
  "Actual bytes equal the expected ones; where a float lane is expected to be NaN, any
  quiet (arithmetic) NaN is accepted, as the spec allows."
  [name ^bytes expected ^bytes actual]
  (case (float-result name)
    :f32 (every? true? (map (fn [e x] (if (Float/isNaN e)
                                         (and (Float/isNaN x)
                                              (not= 0 (bit-and (Float/floatToRawIntBits x) 0x400000)))
                                         (= (Float/floatToRawIntBits e) (Float/floatToRawIntBits x))))
                            (f32s expected) (f32s actual)))
    :f64 (every? true? (map (fn [e x] (if (Double/isNaN e)
                                         (and (Double/isNaN x)
                                              (not= 0 (bit-and (Double/doubleToRawLongBits x)
                                                               0x8000000000000)))
                                         (= (Double/doubleToRawLongBits e) (Double/doubleToRawLongBits x))))
                            (f64s expected) (f64s actual)))
    (= (seq expected) (seq actual))))

;; ---- generators -------------------------------------------------------------------------

(def ^:private special-f32
  [Float/NaN (Float/intBitsToFloat (unchecked-int 0xFFC00001)) (Float/intBitsToFloat 0x7F800001)
   Float/POSITIVE_INFINITY Float/NEGATIVE_INFINITY 0.0 -0.0 Float/MIN_VALUE (- Float/MIN_VALUE)
   Float/MAX_VALUE (- Float/MAX_VALUE) 0.5 -0.5 1.5 2.5 -2.5 3.5 -1.0 1.0 2.147483648E9
   -2.147483904E9 4.294967296E9 4.2949673E9 -0.99999994 8388609.0 1.0E10 -1.0E10])

(def ^:private special-f64
  [Double/NaN (Double/longBitsToDouble (unchecked-long 0xFFF8000000000001))
   (Double/longBitsToDouble 0x7FF0000000000001) Double/POSITIVE_INFINITY Double/NEGATIVE_INFINITY
   0.0 -0.0 Double/MIN_VALUE (- Double/MIN_VALUE) Double/MAX_VALUE (- Double/MAX_VALUE)
   0.5 -0.5 1.5 2.5 -2.5 -1.0 1.0 2147483647.0 2147483647.5 2147483648.0 -2147483648.0
   -2147483649.0 -2147483648.9 4294967295.0 4294967295.9 4294967296.0 -0.9999 1.0E300
   3.4028235677973366E38 1.401298464324817E-45 1.0E-320])

(def ^:private gen-f32-lane
  (gen/frequency [[3 (gen/elements special-f32)]
                  [2 (gen/fmap #(Float/intBitsToFloat (unchecked-int %)) gen/large-integer)]
                  [2 (gen/fmap unchecked-float (gen/double* {:min -1e6 :max 1e6}))]]))

(def ^:private gen-f64-lane
  (gen/frequency [[3 (gen/elements special-f64)]
                  [2 (gen/fmap #(Double/longBitsToDouble %) gen/large-integer)]
                  [2 (gen/double* {:min -1e12 :max 1e12})]]))

(defn- gen-int-lanes [w extremes]
  (gen/fmap #(unlanes w %)
            (gen/vector (gen/frequency [[2 (gen/elements extremes)] [3 gen/large-integer]])
                        (quot 16 w))))

(def gen-v128
  "16 bytes, shaped as one of the lane interpretations with its special values."
  (gen/one-of
   [(gen/fmap byte-array (gen/vector (gen/fmap unchecked-byte (gen/choose 0 255)) 16))
    (gen-int-lanes 1 [0 1 -1 127 -128 128 255 2 -2 16 15 31])
    (gen-int-lanes 2 [0 1 -1 32767 -32768 0x4000 -0x4000 255 256 -129 65535])
    (gen-int-lanes 4 [0 1 -1 Integer/MAX_VALUE Integer/MIN_VALUE 0xFFFF 0x8000 -32769 65536])
    (gen-int-lanes 8 [0 1 -1 Long/MAX_VALUE Long/MIN_VALUE 0xFFFFFFFF 0x80000000])
    (gen/fmap from-f32s (gen/vector gen-f32-lane 4))
    (gen/fmap from-f64s (gen/vector gen-f64-lane 2))]))

;; ---- the module ---------------------------------------------------------------------------

(def ops-module (delay (wasm/module (wasm "simd_ops"))))
(def ^:private engines [:interpreter :auto])
(def ^:private instances
  (delay (into {} (for [e engines] [e (wasm/load @ops-module {:engine e})]))))

(def ^:private export-map
  (delay (into {} (map (juxt :name identity)) (wasm/exports @ops-module))))

(defn- exported [pred]
  (->> @export-map keys (filter pred) sort))

(def ^:private binary-names
  (delay (filter #(and (not (str/includes? % "/"))
                       (= [] (:params (get @export-map %)))
                       (reference % (byte-array 16) (byte-array 16)))
                 (exported (constantly true)))))

(defn- run-op
  "Writes A, B, C, calls export `name` with `args`, returns [result-of-call R-bytes]."
  [inst name a b c & args]
  (wasm/write-bytes! inst 0 a)
  (wasm/write-bytes! inst 16 b)
  (wasm/write-bytes! inst 32 c)
  (wasm/write-bytes! inst 48 (byte-array 16))
  (let [r (apply (wasm/fn inst name) args)]
    [r (wasm/read-bytes inst 48 16)]))

(defn- hex [^bytes bs] (str/join " " (map #(format "%02x" (bit-and % 0xFF)) bs)))

(defn- check-lanewise [inst a b]
  (every? (fn [name]
            (let [expected (reference name a b)
                  [_ actual] (run-op inst name a b (byte-array 16))]
              (or (same-result? name expected actual)
                  (do (println "MISMATCH" name "\n A" (hex a) "\n B" (hex b)
                               "\n expected" (hex expected) "\n actual  " (hex actual))
                      false))))
          @binary-names))

(deftest every-op-family-is-covered
  ;; lane-wise binary and unary ops checked against the reference: all of them
  (is (= 170 (count @binary-names)))
  (is (every? #(contains? @export-map %)
              ["v128.bitselect" "i8x16.shl" "i64x2.shr_u" "v128.any_true" "i16x8.bitmask"
               "i8x16.splat" "f64x2.replace_lane/1" "v128.load8_lane/15" "v128.store64_lane/1"])))

(defspec lanewise-ops-match-the-scalar-reference 60
  (prop/for-all [a gen-v128 b gen-v128]
    (every? #(check-lanewise (@instances %) a b) engines)))

(defspec bitselect-shifts-and-reductions-match 150
  (prop/for-all [a gen-v128 b gen-v128 c gen-v128 n gen/large-integer]
    (let [inst (@instances :interpreter)
          n (unchecked-int n)]
      (and
       (= (seq (unlanes 8 (map #(bit-or (bit-and %1 %3) (bit-and %2 (bit-not %3)))
                               (lanes a 8 true) (lanes b 8 true) (lanes c 8 true))))
          (seq (second (run-op inst "v128.bitselect" a b c))))
       (every? (fn [[shape w]]
                 (let [bits (* 8 w) k (mod n bits)]
                   (and (= (seq (unlanes w (map #(bit-shift-left % k) (lanes a w true))))
                           (seq (second (run-op inst (str shape ".shl") a b c n))))
                        (= (seq (unlanes w (map #(bit-shift-right % k) (lanes a w true))))
                           (seq (second (run-op inst (str shape ".shr_s") a b c n))))
                        (= (seq (unlanes w (map #(if (= w 8) (unsigned-bit-shift-right % k)
                                                     (bit-shift-right % k))
                                                (lanes a w (= w 8)))))
                           (seq (second (run-op inst (str shape ".shr_u") a b c n)))))))
               widths)
       (= (if (some #(not= 0 %) a) 1 0) (first (run-op inst "v128.any_true" a b c)))
       (every? (fn [[shape w]]
                 (let [ls (lanes a w true)]
                   (and (= (if (every? #(not= 0 %) ls) 1 0)
                           (first (run-op inst (str shape ".all_true") a b c)))
                        (= (reduce + (map-indexed #(if (neg? %2) (bit-shift-left 1 %1) 0) ls))
                           (first (run-op inst (str shape ".bitmask") a b c))))))
               widths)))))

(def ^:private shapes
  {"i8x16" [1 :i32] "i16x8" [2 :i32] "i32x4" [4 :i32] "i64x2" [8 :i64] "f32x4" [4 :f32]
   "f64x2" [8 :f64]})

(defn- scalar-of
  "A Clojure argument for a lane of `shape` with bits `v`."
  [shape v]
  (case shape
    "f32x4" (Float/intBitsToFloat (unchecked-int v))
    "f64x2" (Double/longBitsToDouble v)
    v))

(defn- bits-of [shape x]
  (case shape
    "f32x4" (Float/floatToRawIntBits x)
    "f64x2" (Double/doubleToRawLongBits x)
    x))

(defspec splat-extract-replace-and-shuffle-match 80
  (prop/for-all [a gen-v128 b gen-v128 x gen/large-integer]
    (let [inst (@instances :auto)
          z (byte-array 16)]
      (and
       (every? (fn [[shape [w _]]]
                 (let [n (quot 16 w)
                       x (if (= w 8) x (unchecked-int x))
                       la (lanes a w true)]
                   (and (= (seq (unlanes w (repeat n x)))
                           (seq (second (run-op inst (str shape ".splat") a b z
                                                (scalar-of shape x)))))
                        (every? (fn [l]
                                  (and (= (seq (unlanes w (assoc la l x)))
                                          (seq (second (run-op inst (str shape ".replace_lane/" l)
                                                               a b z (scalar-of shape x)))))
                                       (if (< w 4)
                                         (and (= (nth la l)
                                                 (first (run-op inst (str shape ".extract_lane_s/" l) a b z)))
                                              (= (nth (lanes a w false) l)
                                                 (first (run-op inst (str shape ".extract_lane_u/" l) a b z))))
                                         (= (if (= w 4) (unchecked-int (nth la l)) (nth la l))
                                            (let [r (first (run-op inst (str shape ".extract_lane/" l) a b z))]
                                              (long (bits-of shape r)))))))
                                (range n)))))
               shapes)
       (every? (fn [[i pat]]
                 (let [ab (vec (concat (lanes a 1 false) (lanes b 1 false)))]
                   (= (seq (unlanes 1 (map ab pat)))
                      (seq (second (run-op inst (str "i8x16.shuffle/" i) a b z))))))
               (map-indexed vector
                            [(range 16) (range 31 15 -1)
                             [0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23]
                             [3 3 3 3 31 30 29 28 8 9 10 11 16 0 15 1]]))))))

(defn- mem-at
  "16 bytes of memory (a byte array of 16 bytes written at `base`), read from `addr`."
  [^bytes region base addr n]
  (java.util.Arrays/copyOfRange region (int (- addr base)) (int (+ (- addr base) n))))

(defspec loads-and-stores-match 60
  (prop/for-all [a gen-v128 data (gen/vector (gen/fmap unchecked-byte (gen/choose 0 255)) 64)
                 addr (gen/choose 100 140)]
    (let [inst (@instances :interpreter)
          data (byte-array data)
          z (byte-array 16)
          base 100
          at (fn [off n] (mem-at data base (+ addr off) n))
          load (fn [name] (wasm/write-bytes! inst base data)
                 (seq (second (run-op inst name a z z addr))))]
      (and
       (= (seq (at 3 16)) (load "v128.load"))
       (every? (fn [[sfx w s?]]
                 (= (seq (unlanes (* 2 w) (take (quot 8 w) (lanes (byte-array (concat (at 3 8) (repeat 8 0))) w s?))))
                    (load (str "v128.load" sfx))))
               [["8x8_s" 1 true] ["8x8_u" 1 false] ["16x4_s" 2 true] ["16x4_u" 2 false]
                ["32x2_s" 4 true] ["32x2_u" 4 false]])
       (every? (fn [w] (= (seq (byte-array (apply concat (repeat (quot 16 w) (at 3 w)))))
                          (load (str "v128.load" (* 8 w) "_splat"))))
               [1 2 4 8])
       (= (concat (at 3 4) (repeat 12 0)) (load "v128.load32_zero"))
       (= (concat (at 3 8) (repeat 8 0)) (load "v128.load64_zero"))
       (every? (fn [w]
                 (every? (fn [l]
                           (and (= (seq (unlanes w (assoc (lanes a w true) l
                                                          (first (lanes (byte-array (concat (at 1 w) (repeat (- 16 w) 0))) w true)))))
                                   (load (str "v128.load" (* 8 w) "_lane/" l)))
                                (do (wasm/write-bytes! inst base data)
                                    (run-op inst (str "v128.store" (* 8 w) "_lane/" l) a z z addr)
                                    (= (seq (java.util.Arrays/copyOfRange a (int (* l w)) (int (* (inc l) w))))
                                       (seq (wasm/read-bytes inst (+ addr 1) w))))))
                         (range (quot 16 w))))
               [1 2 4 8])
       (do (wasm/write-bytes! inst base data)
           (run-op inst "v128.store" a z z addr)
           (= (seq a) (seq (wasm/read-bytes inst (+ addr 2) 16))))))))

(deftest constants-and-interop-with-the-interpreter
  ;; v128 values through local.set/tee/get, a global, a multi-value call, select and a
  ;; block result keep their lanes in order on both engines
  (doseq [e engines
          :let [inst (@instances e)
                a (byte-array (range 16))
                b (byte-array (range 100 116))
                z (byte-array 16)]]
    (testing (name e)
      (is (= (concat (range 15) [-1]) (seq (second (run-op inst "v128.const" a b z)))))
      (is (= (seq b) (seq (second (run-op inst "interop" a b z 1)))))
      (is (= (seq a) (seq (second (run-op inst "interop" a b z 0))))))))

(deftest out-of-bounds-accesses-trap
  (doseq [e engines
          :let [inst (@instances e)
                size (wasm/memory-size inst)]]
    (testing (name e)
      (is (= :wasm/trap (:type (thrown-data #((wasm/fn inst "v128.load/trap") (- size 15))))))
      (is (= :out-of-bounds-memory-access
             (:kind (thrown-data #((wasm/fn inst "v128.load/trap") (- size 15))))))
      ;; a store that does not fit writes nothing
      (wasm/write-bytes! inst (- size 16) (byte-array 16))
      (wasm/write-bytes! inst 0 (byte-array (repeat 16 7)))
      (is (= :wasm/trap (:type (thrown-data #((wasm/fn inst "v128.store") (- size 17)))))) ; +2 offset
      (is (every? zero? (wasm/read-bytes inst (- size 16) 16)))
      (is (nil? ((wasm/fn inst "v128.load/trap") (- size 16)))))))

;; ---- engines ----------------------------------------------------------------------------

(defn- compiled-machine?
  "Whether the machine factory of module `m` on `engine` makes the own compiler's
  machine (CompiledMachine's factory, a lambda of that class)."
  [^cljwasi.Module m engine]
  (str/starts-with? (.getName (class (.machineFactory m engine nil)))
                    "cljwasi.engine.compiler.CompiledMachine"))

(defn- compiled-on-auto?
  "Whether module `m` runs compiled under :auto: from the compile cache (the compiled
  machine from the first call), or, on a miss, interpreted while it is compiled in the
  background and then compiled (SIMD functions included; only functions over HotSpot's
  method size limit are left to the interpreter)."
  [^cljwasi.Module m]
  (let [f (.machineFactory m cljwasi.Engine/AUTO nil)]
    (boolean
     (if-not (instance? cljwasi.engine.compiler.BackgroundCompile f)
       (compiled-machine? m cljwasi.Engine/AUTO)
       (and (.awaitDone ^cljwasi.engine.compiler.BackgroundCompile f 60000)
          (some->> (.compiledCode ^cljwasi.engine.compiler.BackgroundCompile f) .refused vals
                   (every? #(re-find #"over the \d+ HotSpot compiles" %))))))))

(deftest engine-selection
  (testing "the compiler compiles SIMD: :compiler runs the ops module compiled"
    (is (compiled-machine? @ops-module cljwasi.Engine/COMPILER)))
  (testing "modules without SIMD are unaffected"
    (with-open [i (wasm/load (wasm "numbers") {:engine :compiler})]
      (is (some? i)))))

;; ---- a real C program built with and without -msimd128 -------------------------------------

(def ^:private kernels-expected
  ;; the output of simd_kernels_scalar.wasm (no SIMD instructions) run by the compiler
  (delay (wasm/run (wasm "simd_kernels_scalar") {:engine :compiler :args ["simd_kernels" "1000"]})))

(deftest c-program-with-simd-matches-the-scalar-build
  (let [expected @kernels-expected]
    (is (= 0 (:exit expected)))
    (is (re-find #"(?m)^dot_i32 -?\d+$" (:out expected)))
    (doseq [engine [:interpreter :auto :compiler]]
      (testing (name engine)
        (is (= expected (wasm/run (wasm "simd_kernels")
                                  {:engine engine :args ["simd_kernels" "1000"]})))))))

(deftest auto-compiles-what-it-can
  ;; the compiler compiles both the C program (SIMD functions included) and the ops module
  ;; (v128 in signatures) whole
  (let [^cljwasi.Module kernels (wasm/module (wasm "simd_kernels"))
        simd (.plan kernels)]
    (is (< 0 (count (.simdFunctions simd)) (.functionBodyCount (.codeSection (.parsed kernels)))))
    (doseq [m [kernels @ops-module]]
      (is (compiled-on-auto? m)))
    (is (instance? cljwasi.engine.interp.Machines$Interpreted
                   (.machineFactory kernels cljwasi.Engine/INTERPRETER nil)))))
