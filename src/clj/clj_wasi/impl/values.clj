(ns clj-wasi.impl.values
  "Conversion of values across the Wasm/Clojure boundary, and the fixed-arity
  functions `wasm/fn` returns.

  Wasm values travel through Chicory as longs: i32 sign-extended, i64 as is, f32 and
  f64 as their raw bit patterns (so NaN payloads survive)."
  (:require [clj-wasi.impl.errors :as errors])
  (:import (cljwasi ModuleInstance)
           (clojure.lang BigInt)
           (com.dylibso.chicory.runtime ExportFunction)))

(set! *warn-on-reflection* true)

(def valtypes
  "The value types clj-wasi passes between Wasm and Clojure."
  #{:i32 :i64 :f32 :f64})

(def ^:private i32-min -2147483648)
(def ^:private u32-max 4294967295)
(def ^:private u64-max (bigint 18446744073709551615N))

(defn- bad-arg [fname i ty v expected]
  (errors/fail :bad-argument
               (format "%s: argument %d must be %s, got %s" fname i expected
                       (if (nil? v) "nil" (str (pr-str v) " (" (.getName (class v)) ")")))
               {:function fname :index i :param-type ty :value v :expected expected}))

(defn- integral? [v]
  (or (instance? Long v) (instance? Integer v) (instance? Short v) (instance? Byte v)
      (instance? BigInt v) (instance? java.math.BigInteger v)))

(defn ->i32
  "An i32 argument: any integer from -2^31 to 2^32-1 (unsigned values wrap)."
  ^long [fname i v]
  (if (instance? Long v)
    (let [l (.longValue ^Long v)] ; the common case: primitive compares, no boxing
      (if (and (<= -2147483648 l) (<= l 4294967295))
        (long (unchecked-int l))
        (bad-arg fname i :i32 v "an integer in [-2^31, 2^32-1]")))
    (if (and (integral? v) (<= i32-min v u32-max))
      (long (unchecked-int (long v)))
      (bad-arg fname i :i32 v "an integer in [-2^31, 2^32-1]"))))

(defn ->i64
  "An i64 argument: any integer from -2^63 to 2^64-1 (unsigned values wrap)."
  ^long [fname i v]
  (cond
    (instance? Long v) (.longValue ^Long v)
    (and (integral? v) (<= Long/MIN_VALUE v u64-max)) (.longValue ^Number v)
    :else (bad-arg fname i :i64 v "an integer in [-2^63, 2^64-1]")))

(defn ->f32
  "An f32 argument: a Float keeps its exact bits (NaN payloads too); other numbers are
  rounded to the nearest float, and finite values beyond float range are refused."
  ^long [fname i v]
  (cond
    (instance? Float v) (long (Float/floatToRawIntBits (float v)))
    (number? v) (let [d (double v)]
                  (if (and (Double/isFinite d) (> (Math/abs d) (double Float/MAX_VALUE)))
                    (bad-arg fname i :f32 v "a number within f32 range")
                    (long (Float/floatToRawIntBits (float d)))))
    :else (bad-arg fname i :f32 v "a number")))

(defn ->f64
  "An f64 argument: any number; a Double keeps its exact bits."
  ^long [fname i v]
  (if (number? v)
    (Double/doubleToRawLongBits (double v))
    (bad-arg fname i :f64 v "a number")))

(defn from-wasm
  "A Wasm result as Clojure: i32 and i64 as Long, f32 as Float, f64 as Double."
  [ty ^long bits]
  (case ty
    :i32 (long (unchecked-int bits))
    :i64 bits
    :f32 (Float/intBitsToFloat (unchecked-int bits))
    :f64 (Double/longBitsToDouble bits)
    bits))

(defn to-wasm
  "A Clojure value as the long Chicory passes for a value of type `ty`."
  ^long [ty fname i v]
  (case ty
    :i32 (->i32 fname i v)
    :i64 (->i64 fname i v)
    :f32 (->f32 fname i v)
    :f64 (->f64 fname i v)
    (errors/fail :unsupported-type (format "%s: parameter %d has type %s, which clj-wasi cannot pass"
                                           fname i (name ty))
                 {:function fname :index i :param-type ty})))

(defn- converter
  "A function v -> long for parameter `i` of type `ty`, chosen once."
  [ty fname i]
  (case ty
    :i32 (fn ^long [v] (->i32 fname i v))
    :i64 (fn ^long [v] (->i64 fname i v))
    :f32 (fn ^long [v] (->f32 fname i v))
    :f64 (fn ^long [v] (->f64 fname i v))
    (fn ^long [v] (to-wasm ty fname i v))))

(defn- result-fn
  "A function long[] -> Clojure result (nil, one value, or a vector)."
  [results]
  (case (count results)
    0 (fn [_] nil)
    1 (let [ty (first results)]
        (case ty
          :i32 (fn [^longs r] (long (unchecked-int (aget r 0))))
          :i64 (fn [^longs r] (aget r 0))
          (fn [^longs r] (from-wasm ty (aget r 0)))))
    (let [tys (vec results)]
      (fn [^longs r] (mapv (fn [ty i] (from-wasm ty (aget r (int i)))) tys (range))))))

(defn- arity-error [fname params got]
  (errors/fail :arity (format "%s takes %d argument%s %s, got %d" fname (count params)
                              (if (= 1 (count params)) "" "s") (pr-str params) got)
               {:function fname :params params :given got}))

(defmacro ^:private fixed-arity-fn
  "A fn of exactly `n` args (converted by c0..c3 into a long[] passed to `call`); every
  other arity reports the arity error."
  [n call wrong]
  (let [args (vec (take n '[a b c d]))
        convs '[c0 c1 c2 c3]
        r (gensym "r")
        wrong-arities (for [k (range n)] (let [xs (vec (take k '[a b c d]))] `(~xs (~wrong ~k))))]
    `(fn
       ~@wrong-arities
       (~args (let [~(with-meta r {:tag 'longs}) (long-array ~n)]
                ~@(map-indexed (fn [i a] `(aset ~r ~i (.invokePrim ~(with-meta (convs i) {:tag 'clojure.lang.IFn$OL}) ~a))) args)
                (~call ~r)))
       ([~@args x# & more#] (~wrong (+ ~(inc n) (count more#)))))))

(defn export-fn
  "A Clojure function calling export `fname` of `inst`, with fixed arities for up to
  four parameters (no apply, no reflection on the hot path)."
  [^ModuleInstance inst ^String fname params results]
  (let [^ExportFunction f (.export inst fname)
        n (count params)
        [c0 c1 c2 c3] (map-indexed (fn [i ty] (converter ty fname i)) params)
        out (result-fn results)
        call (fn [^longs args] (out (errors/translating (.call inst f fname args))))
        wrong (fn [given] (arity-error fname params given))]
    (case n
      0 (fixed-arity-fn 0 call wrong)
      1 (fixed-arity-fn 1 call wrong)
      2 (fixed-arity-fn 2 call wrong)
      3 (fixed-arity-fn 3 call wrong)
      4 (fixed-arity-fn 4 call wrong)
      (let [cs (vec (map-indexed (fn [i ty] (converter ty fname i)) params))]
        (fn [& xs]
          (let [xs (vec xs)]
            (when (not= n (count xs)) (arity-error fname params (count xs)))
            (let [r (long-array n)]
              (dotimes [i n] (aset r i (long ((cs i) (xs i)))))
              (call r))))))))

(defmacro ^:private delegating-ifn
  "deftype `tname` [fields... f] implementing IFn by delegating every arity to `f`,
  so that export functions can have their own print-method without the slow
  (applyTo) path that `with-meta` on a fn would put on every call."
  [tname fields]
  (let [f (last fields)
        args (mapv #(symbol (str "a" %)) (range 20))]
    `(deftype ~tname ~fields
       clojure.lang.IFn
       ~@(for [n (range 21)]
           `(~'invoke [~'_ ~@(take n args)] (.invoke ~(with-meta f {:tag 'clojure.lang.IFn}) ~@(take n args))))
       (~'invoke [~'_ ~@args ~'more] (.applyTo ~(with-meta f {:tag 'clojure.lang.IFn})
                                               (list* ~@args ~'more)))
       (~'applyTo [~'_ ~'xs] (.applyTo ~(with-meta f {:tag 'clojure.lang.IFn}) ~'xs))
       (~'call [~'_] (.invoke ~(with-meta f {:tag 'clojure.lang.IFn})))
       (~'run [~'_] (.invoke ~(with-meta f {:tag 'clojure.lang.IFn})))
       clojure.lang.Fn)))

;; An export as a Clojure function: `f` does the work; name and types are for printing
;; and `datafy`.
(delegating-ifn ExportFn [export-name params results f])

(defmethod print-method ExportFn [^ExportFn x ^java.io.Writer w]
  (.write w (format "#<wasm/fn %s %s -> %s>" (.export-name x) (pr-str (.params x)) (pr-str (.results x)))))
