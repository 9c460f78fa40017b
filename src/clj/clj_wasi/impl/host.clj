(ns clj-wasi.impl.host
  "Clojure functions as Wasm host functions (the :imports option)."
  (:require [clj-wasi.impl.errors :as errors]
            [clj-wasi.impl.values :as values])
  (:import (cljwasi Module Signature WasmException)
           (clojure.lang RestFn)
           (com.dylibso.chicory.runtime HostFunction WasmFunctionHandle)
           (com.dylibso.chicory.wasm.types FunctionType ValType)))

(set! *warn-on-reflection* true)

(defn- valtype ^ValType [t]
  (case t :i32 ValType/I32 :i64 ValType/I64 :f32 ValType/F32 :f64 ValType/F64))

(defn- accepts-arity?
  "Whether fn (or var) `f` can be called with `n` arguments."
  [f n]
  (let [f (if (var? f) @f f)
        c (class f)]
    (or (and (instance? RestFn f) (>= n (.getRequiredArity ^RestFn f)))
        (some #(and (= "invoke" (.getName ^java.lang.reflect.Method %))
                    (= n (.getParameterCount ^java.lang.reflect.Method %)))
              (.getDeclaredMethods c)))))

(defn- mismatch [^Signature s msg data]
  (errors/fail :import-mismatch (format "import %s.%s: %s" (.module s) (.name s) msg)
               (merge {:module (.module s) :name (.name s)
                       :params (mapv keyword (.params s)) :results (mapv keyword (.results s))}
                      data)))

(defn- bad-result
  "The failure for a host function's return value `v` that does not fit `results`:
  thrown as the Java core's exception, so that it passes through the guest's call
  unchanged (an ex-info would become :wasm/host-error) and reaches the caller as
  :wasm/bad-result."
  [fname results v msg data]
  (throw (WasmException. "bad-result" (str "host function " fname " " msg)
                         (merge {"function" fname "results" (mapv name results) "value" v} data))))

(defn- result->long
  "Result `i` (of type `ty`) of a host function as the long Chicory passes."
  ^long [fname results i v]
  (let [ty (results i)]
    (try
      (values/to-wasm ty fname i v)
      (catch clojure.lang.ExceptionInfo e
        (bad-result fname results v
                    (format "returned %s for its %s result; expected %s"
                            (if (nil? v) "nil" (str (pr-str v) " (" (.getName (class v)) ")"))
                            (name ty) (:expected (ex-data e)))
                    {"index" i "result-type" ty "expected" (:expected (ex-data e))})))))

(defn- result->longs
  "The host function's return value as Chicory's long[] for `results`."
  [fname results v]
  (case (count results)
    0 nil
    1 (doto (long-array 1) (aset 0 (result->long fname results 0 v)))
    (let [vs (when (sequential? v) (vec v))]
      (when-not (= (count vs) (count results))
        (bad-result fname results v
                    (format "must return %d values %s, returned %s" (count results) (pr-str results) (pr-str v))
                    {"expected" (format "a vector of %d values" (count results))}))
      (let [out (long-array (count results))]
        (dotimes [i (count results)] (aset out i (result->long fname results i (vs i))))
        out))))

(defn host-function
  "A Chicory HostFunction for import `s` from `spec` (a fn, or {:fn f :params :results
  :instance?}), of the declared signature where :params or :results are given and of
  the import's otherwise: whether it matches the import is checked with every other
  host function's, when the instance is built (:wasm/import-mismatch). `instance` is
  a delay of the wasm instance, passed first when :instance? is true."
  ^HostFunction [^Signature s spec instance]
  (let [{f :fn declared-params :params declared-results :results with-instance :instance?}
        (if (map? spec) spec {:fn spec})
        params (vec (or declared-params (map keyword (.params s))))
        results (vec (or declared-results (map keyword (.results s))))
        fname (str (.module s) "." (.name s))]
    (when-not (= "function" (.kind s))
      (mismatch s (str "is a " (.kind s) " import; only functions can be given as :imports") {}))
    (when-not (every? values/valtypes (concat params results))
      (mismatch s "uses value types clj-wasi cannot pass to Clojure" {}))
    (let [n (+ (count params) (if with-instance 1 0))]
      (when-not (accepts-arity? f n)
        (mismatch s (format "the function cannot take %d argument%s" n (if (= 1 n) "" "s"))
                  {:arity n})))
    (HostFunction.
     (.module s) (.name s)
     (FunctionType/of ^java.util.List (mapv valtype params) ^java.util.List (mapv valtype results))
     (reify WasmFunctionHandle
       (apply [_ _ args]
         (let [xs (map (fn [ty ^long bits] (values/from-wasm ty bits)) params args)
               v (if with-instance (apply f @instance xs) (apply f xs))]
           (result->longs fname results v)))))))

(defn host-functions
  "HostFunctions for every function import of `module` that `imports` provides."
  [^Module module imports instance]
  (vec (for [^Signature s (.imports module)
             :let [spec (get-in imports [(.module s) (.name s)])]
             :when spec]
         (host-function s spec instance))))
