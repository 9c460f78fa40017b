(ns clj-wasi.swar-test
  "The word-parallel lane operations compiled SIMD code uses (cljwasi.engine.interp.Swar,
  one 64-bit half of a v128 at a time) against lane-by-lane semantics: the interpreter's
  general lane loops (Lanes) where they are not Swar themselves, and a lane loop written
  here for i8 add/sub (which Lanes takes from Swar). Halves are random or made of lane
  extremes (0, 1, -1, the signed minimum and maximum of 8, 16 and 32 bits, 0x80, 0x7F), so
  carries, borrows, sign bits and saturation meet at lane boundaries."
  (:require [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi.engine.interp Lanes Lanes$Op Lanes$Shape Swar)))

(def ^:private lane-extremes
  [0 1 -1 0x7F 0x80 0xFF 0x7FFF 0x8000 0xFFFF 0x7FFFFFFF 0x80000000 0xFFFFFFFF 2 0x0101])

(defn- lanes->half
  "Lanes of `bits` bits (low bits of each value) packed into a long, lane 0 lowest."
  [bits vs]
  (reduce (fn [acc [i v]]
            (bit-or acc (bit-shift-left (bit-and (long v) (Lanes/mask bits)) (* i bits))))
          0 (map-indexed vector vs)))

(def ^:private gen-half
  (gen/one-of [gen/large-integer
               (gen/fmap unchecked-long (gen/choose Integer/MIN_VALUE Integer/MAX_VALUE))
               (gen/bind (gen/elements [8 16 32])
                         (fn [bits]
                           (gen/fmap #(lanes->half bits %)
                                     (gen/vector (gen/elements lane-extremes) (quot 64 bits)))))]))

(defn- lane [^long v i bits signed?]
  (let [x (bit-shift-left v (- 64 bits (* i bits)))]
    (if signed? (bit-shift-right x (- 64 bits)) (unsigned-bit-shift-right x (- 64 bits)))))

(defn- lanewise
  "f on the lanes of `bits` bits of a and b (as signed longs), each result's low bits kept."
  [bits f a b]
  (lanes->half bits (for [i (range (quot 64 bits))] (f (lane a i bits true) (lane b i bits true)))))

(defspec i8-add-and-sub-match-lane-arithmetic 500
  (prop/for-all [a gen-half b gen-half]
    (and (= (Swar/add8 a b) (lanewise 8 unchecked-add a b))
         (= (Swar/sub8 a b) (lanewise 8 unchecked-subtract a b)))))

(defspec binary-operations-match-lanes 500
  (prop/for-all [a gen-half b gen-half]
    (every? (fn [[swar op shape]] (= (swar a b) (Lanes/binary op shape a b)))
            [[#(Swar/eq8 %1 %2) Lanes$Op/EQ Lanes$Shape/I8]
             [#(Swar/add16 %1 %2) Lanes$Op/ADD Lanes$Shape/I16]
             [#(Swar/sub16 %1 %2) Lanes$Op/SUB Lanes$Shape/I16]
             [#(Swar/mul16 %1 %2) Lanes$Op/MUL Lanes$Shape/I16]
             [#(Swar/add32 %1 %2) Lanes$Op/ADD Lanes$Shape/I32]
             [#(Swar/sub32 %1 %2) Lanes$Op/SUB Lanes$Shape/I32]
             [#(Swar/mul32 %1 %2) Lanes$Op/MUL Lanes$Shape/I32]])))

(defspec bitselect-takes-a-where-the-mask-has-ones 300
  (prop/for-all [a gen-half b gen-half c gen-half]
    (= (Swar/bitselect a b c)
       (Lanes/binary Lanes$Op/OR Lanes$Shape/I64 (Lanes/binary Lanes$Op/AND Lanes$Shape/I64 a c)
                     (Lanes/binary Lanes$Op/ANDNOT Lanes$Shape/I64 b c)))))

(def ^:private low-bits {8 Swar/LOW8 16 Swar/LOW16 32 Swar/LOW32})
(def ^:private shapes {8 Lanes$Shape/I8 16 Lanes$Shape/I16 32 Lanes$Shape/I32})

(defspec shifts-match-lanes 500
  (prop/for-all [v gen-half
                 bits (gen/elements [8 16 32])
                 n (gen/one-of [(gen/choose -40 80) (gen/elements [0 1 7 8 15 16 31 32])])]
    ;; compiled code passes the count modulo the lane width, as Lanes takes it
    (let [m (bit-and n (dec bits))
          low (low-bits bits)
          shape (shapes bits)]
      (and (= (Swar/shl v m bits low) (Lanes/shift Lanes$Op/SHL shape v n))
           (= (Swar/shrU v m bits low) (Lanes/shift Lanes$Op/SHR_U shape v n))
           (= (Swar/shrS v m bits low) (Lanes/shift Lanes$Op/SHR_S shape v n))))))

(defspec widening-narrowing-and-splat-match-lanes 500
  (prop/for-all [v gen-half x gen/large-integer]
    (and (= (Swar/pairwiseU8 v) (Lanes/unary Lanes$Op/EXTADD_PAIRWISE_U Lanes$Shape/I16 v))
         (= (Swar/pairwiseU16 v) (Lanes/unary Lanes$Op/EXTADD_PAIRWISE_U Lanes$Shape/I32 v))
         ;; narrow of the operands' 32-bit (16-bit) lanes, signed and unsigned saturation
         (= (Swar/narrow32 v 0 0xFFFF) (Lanes/narrow v 32 true))
         (= (Swar/narrow32 v -0x8000 0x7FFF) (Lanes/narrow v 32 false))
         (= (Swar/narrow16 v 0 0xFF) (Lanes/narrow v 16 true))
         (= (Swar/narrow16 v -0x80 0x7F) (Lanes/narrow v 16 false))
         (every? (fn [bits] (= (Swar/splat x bits (get low-bits bits 0)) (Lanes/splat x bits)))
                 [8 16 32 64]))))
