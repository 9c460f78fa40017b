(ns clj-wasi.compiler-simd-test
  "128-bit SIMD in the project's own compiler against the project's interpreter, the
  engine whose lane semantics it shares: every SIMD instruction (test/wasm/simd_ops.wasm
  has one export per instruction and immediate class) on random v128 operands (special
  floats and integer extremes mixed in) and random scalar arguments (addresses aimed at
  the memory's end), and v128 across the compiler's boundaries (test/wasm/simd_calls.wasm:
  boxed entry, multi-value, direct and indirect calls to compiled and interpreted
  functions, locals, globals, select, branches). Each case must give the same result
  bits, the same memory and globals, or the same trap."
  (:require [clj-wasi.test-util :refer [wasm with-props]]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module ModuleInstance)
           (cljwasi.engine ChicoryInternals LinearMemory)
           (cljwasi.engine.compiler CompiledMachine ModuleCompiler)
           (cljwasi.engine.interp Interpreter V128Locals)
           (com.dylibso.chicory.runtime ImportValues Instance)
           (com.dylibso.chicory.wasm Parser WasmModule)
           (com.dylibso.chicory.wasm.types ExportSection ExternalType FunctionBody FunctionType
                                           ValType)
           (java.nio.file Files)))

(def ^:private byte-array-memory
  (reify java.util.function.Function (apply [_ limits] (LinearMemory. limits))))

(defn- parse ^WasmModule [name]
  (Parser/parse (Files/readAllBytes (.toPath (io/file (wasm name))))))

(defn- patched-bodies
  "The interpreter's v128-local fix for every body of `m` (V128Locals), as the plan has it."
  [^WasmModule m]
  (let [imported (.count (.importSection m) ExternalType/FUNCTION)
        n (.functionCount (.functionSection m))]
    (into-array FunctionBody
                (for [i (range n)]
                  (V128Locals/rewrite (.getType (.typeSection m) (.getFunctionType (.functionSection m) i))
                                      (.getFunctionBody (.codeSection m) i))))))

(defn- compiled-instance
  "`m` with the functions of `compile` (code-section indices) compiled by the own
  compiler (every one of them must compile), the rest interpreted."
  [^WasmModule m compile]
  (let [code (ModuleCompiler/compile m (set (map int compile)) Integer/MAX_VALUE)]
    (is (empty? (.refused code)) "every SIMD function compiles")
    (-> (Instance/builder m) (.withImportValues (ImportValues/empty))
        (.withMemoryFactory byte-array-memory)
        (.withMachineFactory (CompiledMachine/factory code (patched-bodies m)))
        (.build))))

(defn- interpreted-instance [^WasmModule m]
  (let [bodies (patched-bodies m)]
    (-> (Instance/builder m) (.withImportValues (ImportValues/empty))
        (.withMemoryFactory byte-array-memory)
        (.withMachineFactory (reify java.util.function.Function
                               (apply [_ i] (Interpreter. i nil bodies))))
        (.build))))

(defn- exports
  "[name param-types result-types] of every exported function of `m`."
  [^WasmModule m]
  (let [^ExportSection es (.exportSection m)]
    (vec (for [i (range (.exportCount es))
               :let [e (.getExport es i)]
               :when (= ExternalType/FUNCTION (.exportType e))
               ;; (these modules import no functions: the index is the code section's)
               :let [^FunctionType t (.getType (.typeSection m)
                                               (.getFunctionType (.functionSection m)
                                                                 (int (.index e))))]]
           [(.name e) (vec (.params t)) (vec (.returns t))]))))

;; ---- values -------------------------------------------------------------------------------

(def ^:private f32-specials
  (map #(bit-and (Float/floatToRawIntBits (float %)) 0xFFFFFFFF)
       [0.0 -0.0 1.0 -1.5 2.5 Float/NaN Float/POSITIVE_INFINITY Float/NEGATIVE_INFINITY
        2.14748365E9 -2.1474839E9 4.2949673E9 Float/MIN_VALUE Float/MAX_VALUE 0.49999997]))

(def ^:private f64-specials
  (map #(Double/doubleToRawLongBits %)
       [0.0 -0.0 1.0 -1.5 2.5 Double/NaN Double/POSITIVE_INFINITY Double/NEGATIVE_INFINITY
        2147483647.0 -2147483649.0 4294967296.0 Double/MIN_VALUE Double/MAX_VALUE]))

(def ^:private gen-half
  "64 bits of a v128: random, two f32 lanes, one f64 lane, or integer-lane extremes."
  (gen/one-of [gen/large-integer
               (gen/fmap (fn [[a b]] (bit-or a (bit-shift-left b 32)))
                         (gen/tuple (gen/elements f32-specials) (gen/elements f32-specials)))
               (gen/elements f64-specials)
               (gen/elements (map #(Long/parseUnsignedLong % 16)
                                  ["0" "FFFFFFFFFFFFFFFF" "8000000000000000" "7FFFFFFFFFFFFFFF"
                                   "7F7F7F7F7F7F7F7F" "8080808080808080" "7FFF80007FFF8000"
                                   "000000FF0000FF00" "80000000FFFFFFFF"]))]))

(def ^:private gen-address
  "Addresses for loads and stores: in the scratch area, at the memory's end, or anywhere."
  (gen/one-of [(gen/choose 0 80)
               (gen/choose (- 65536 20) 65540)
               (gen/fmap unchecked-int gen/large-integer)]))

(defn- gen-slots
  "Argument slots (Chicory's longs) for parameter types `ps`."
  [ps]
  (apply gen/tuple
         (for [^ValType p ps]
           (condp = p
             ValType/I32 (gen/fmap #(vector (long %))
                                   (gen/one-of [gen-address (gen/choose -4 130)]))
             ValType/I64 (gen/fmap vector gen/large-integer)
             ValType/F32 (gen/fmap vector (gen/elements f32-specials))
             ValType/F64 (gen/fmap vector (gen/elements f64-specials))
             ValType/V128 (gen/tuple gen-half gen-half)))))

(defn- slots-of
  "What export call `r` returned, NaNs of f32/f64 results as :nan (the JVM may quiet a
  float NaN passing through it: the spec leaves a NaN's payload open there)."
  [rs r]
  (loop [[^ValType t & more] rs, vs (seq r), out []]
    (if (nil? t)
      out
      (condp = t
        ValType/V128 (recur more (drop 2 vs) (conj out [(first vs) (second vs)]))
        ValType/F32 (recur more (rest vs)
                           (conj out (if (Float/isNaN (Float/intBitsToFloat (unchecked-int (first vs))))
                                       :nan (bit-and (first vs) 0xFFFFFFFF))))
        ValType/F64 (recur more (rest vs)
                           (conj out (if (Double/isNaN (Double/longBitsToDouble (first vs))) :nan (first vs))))
        (recur more (rest vs) (conj out (first vs)))))))

(defn- run-case
  "Writes `scratch` (64 bytes) at 0 and at the memory's last 64 bytes, calls `export` with
  `args`; returns the result (or trap kind), the memory written and the globals."
  [^Instance inst [export _ rs] args ^bytes scratch]
  (let [mem (.memory inst)
        end (when mem (- (* 65536 (.pages mem)) 64))]
    (when mem
      (.write mem 0 scratch)
      (.write mem (int end) scratch)
      (.write mem 64 (byte-array 16)))
    (let [out (try (slots-of rs (.apply (.export inst export) (long-array args)))
                   (catch Throwable e {:trap (ChicoryInternals/trapKind e)}))]
      {:result out
       :memory (when mem (vec (concat (.readBytes mem 0 96) (.readBytes mem (int end) 64))))
       :globals (vec (for [i (range (.globalCount inst))]
                       (let [g (.global inst (int i))] [(.getValueLow g) (.getValueHigh g)])))})))

;; ---- every SIMD instruction ---------------------------------------------------------------

(def ^:private ops-module (delay (parse "simd_ops")))

(def ^:private ops-instances
  (delay (let [m @ops-module]
           [(compiled-instance m (range (.functionCount (.functionSection m))))
            (interpreted-instance m)])))

(def ^:private gen-op-case
  (gen/let [[_ ps _ :as export] (gen/elements (exports @ops-module))
            slots (gen-slots ps)
            scratch (gen/vector gen-half 8)]
    {:export export
     :args (vec (flatten slots))
     :scratch (let [b (java.nio.ByteBuffer/allocate 64)]
                (.order b java.nio.ByteOrder/LITTLE_ENDIAN)
                (doseq [h scratch] (.putLong b (long h)))
                (.array b))}))

(deftest the-ops-module-covers-every-simd-instruction
  (let [m @ops-module
        ops (set (for [i (range (.functionCount (.functionSection m)))
                       ins (.instructions (.getFunctionBody (.codeSection m) i))]
                   (.opcode ins)))
        simd (filter #(= 0xFD00 (bit-and (.opcode ^com.dylibso.chicory.wasm.types.OpCode %) 0xFF00))
                     (com.dylibso.chicory.wasm.types.OpCode/values))]
    (is (= 236 (count simd)) "the final 128-bit SIMD set, as Chicory 1.7.5 names it")
    (is (empty? (remove ops simd)) "simd_ops.wasm uses every one of them")))

(defn- nan-lanes
  "The memory an op left, read as `width`-byte float lanes (4 or 8), NaN lanes as :nan:
  the spec leaves the sign and payload of a NaN an arithmetic lane op makes open (which
  operand's NaN comes back depends on how HotSpot orders a commutative operation)."
  [memory width]
  (let [bb (doto (java.nio.ByteBuffer/wrap (byte-array memory))
             (.order java.nio.ByteOrder/LITTLE_ENDIAN))]
    (vec (for [i (range 0 (- (count memory) (dec width)) width)]
           (if (= width 4)
             (let [f (.getFloat bb (int i))] (if (Float/isNaN f) :nan (Float/floatToRawIntBits f)))
             (let [d (.getDouble bb (int i))] (if (Double/isNaN d) :nan (Double/doubleToRawLongBits d))))))))

(defn- same-up-to-nan-payloads?
  "Whether float-lane arithmetic op `name`'s outcomes differ at most in the sign and
  payload of NaN lanes (in the memory the op stored its result to). Bit moves (abs, neg,
  pmin/pmax, lanes, splat) must match exactly."
  [name want got]
  (when-let [width (and (re-find #"\.(add|sub|mul|div|sqrt|min|max|ceil|floor|trunc|nearest|demote_f64x2_zero|promote_low_f32x4)$" name)
                       (cond (.startsWith ^String name "f32x4") 4 (.startsWith ^String name "f64x2") 8))]
    (and (= (dissoc want :memory) (dissoc got :memory))
         (= (nan-lanes (:memory want) width) (nan-lanes (:memory got) width)))))

(defspec every-simd-instruction-matches-the-interpreter 3000
  (prop/for-all [{:keys [export args scratch]} gen-op-case]
    (let [[compiled interpreted] @ops-instances
          want (run-case interpreted export args scratch)
          got (run-case compiled export args scratch)]
      (or (= want got)
          (same-up-to-nan-payloads? (first export) want got)
          (do (println "differs:" (first export) args want got) false)))))

;; ---- v128 across calls, locals, globals and branches --------------------------------------

(def ^:private calls-module (delay (parse "simd_calls")))

(def ^:private calls-instances
  "Compiled twice (every function; all but the call_indirect targets, which the
  interpreter then runs) and interpreted."
  (delay (let [m @calls-module
               n (.functionCount (.functionSection m))]
           {:all (compiled-instance m (range n))
            :some (compiled-instance m (range 2 n))
            :interpreter (interpreted-instance m)})))

(def ^:private gen-calls-case
  (gen/let [[_ ps _ :as export] (gen/elements (exports @calls-module))
            slots (gen-slots ps)
            ;; i32 arguments here are loop counts and table slots (2 table slots: past the
            ;; table too)
            small (gen/vector (gen/choose 0 6) 3)]
    {:export export
     :args (vec (flatten (map-indexed (fn [i s] (if (= ValType/I32 (nth ps i)) [(nth small (min i 2))] s))
                                      slots)))
     :scratch (byte-array 64)}))

(defspec v128-crosses-calls-and-branches-as-in-the-interpreter 500
  (prop/for-all [{:keys [export args scratch]} gen-calls-case]
    (let [{:keys [all some interpreter]} @calls-instances
          want (run-case interpreter export args scratch)]
      (and (= want (run-case all export args scratch))
           (= want (run-case some export args scratch))))))

(deftest v128-locals-start-at-zero-and-the-global-round-trips
  (let [{:keys [all]} @calls-instances
        call (fn [f & args] (vec (.apply (.export ^Instance all f) (long-array args))))]
    (is (= [0 5] (call "fresh_local" 5)))
    (is (= [0 5] (call "fresh_local" 5)) "zeroed at every entry")
    (let [before (call "global_swap" 1 2)]
      (is (= [1 2] (call "global_swap" 3 4)))
      (is (= [3 4] (call "global_swap" (first before) (second before)))))))

;; ---- i8x16.shuffle with random lane indices ---------------------------------------------
;;
;; The compiler writes a shuffle with constant lane indices as masked shifts of the operands'
;; halves, grouped by the indices' pattern: every pattern is a different piece of code, so
;; each case builds a one-function module for its own indices (two loads, the shuffle, a
;; store) and checks the compiled result against the interpreter and against the bytes the
;; indices pick.

(defn- shuffle-module
  "A module whose export f stores (i8x16.shuffle `lanes` (v128.load 0) (v128.load 16)) at 32."
  ^WasmModule [lanes]
  (let [body (concat [0x00 0x41 32 0x41 0 0xFD 0 4 0 0x41 16 0xFD 0 4 0 0xFD 13] lanes
                     [0xFD 11 4 0 0x0B])
        section (fn [id content] (concat [id (count content)] content))]
    (Parser/parse
     (byte-array (map unchecked-byte
                      (concat [0 0x61 0x73 0x6D 1 0 0 0]
                              (section 1 [1 0x60 0 0])
                              (section 3 [1 0])
                              (section 5 [1 0 1])
                              (section 7 [1 1 (int \f) 0 0])
                              (section 10 (concat [1 (count body)] body))))))))

(def ^:private gen-lanes
  "Sixteen lane indices (0-31): random, runs from one operand, or interleaves."
  (gen/one-of [(gen/vector (gen/choose 0 31) 16)
               (gen/fmap (fn [start] (mapv #(mod (+ start %) 32) (range 16))) (gen/choose 0 31))
               (gen/fmap (fn [[a b]] (vec (mapcat (fn [i] [(+ a i) (+ b i)]) (range 8))))
                         (gen/tuple (gen/elements [0 8 16 24]) (gen/elements [0 8 16 24])))]))

(defspec shuffles-with-any-lane-indices-match-the-interpreter 150
  (prop/for-all [lanes gen-lanes
                 operands (gen/vector (gen/choose -128 127) 32)]
    (let [m (shuffle-module lanes)
          run (fn [^Instance inst]
                (let [mem (.memory inst)]
                  (.write mem 0 (byte-array operands))
                  (.apply (.export inst "f") (long-array 0))
                  (vec (.readBytes mem 32 16))))
          got (run (compiled-instance m [0]))]
      (and (= got (run (interpreted-instance m)))
           (= got (mapv #(nth operands %) lanes))))))

;; ---- large modules ------------------------------------------------------------------------
;;
;; A large module is parsed lazily (cljwasi.engine.parse.LazyParser): each body is decoded at
;; its first use, as the module has it, for the compilers; the interpreter runs copies with
;; the v128-local fix (V128Locals), made from them at their first use (ModulePlan). Both
;; modules set v128 locals. Made large the two ways a user can: the size switch, and a size
;; threshold below the module's code. Every engine must run them as the project's
;; interpreter runs the eagerly parsed module (an instance made with them: each case calls
;; them all, so that the globals the ops set stay alike).

(def ^:private large-props
  [{"clj-wasi.large" "on"}
   {"clj-wasi.large" "auto" "clj-wasi.large.min-code-bytes" "1"}])

(defn- large-instances
  "Module `name` parsed as a large module under each of large-props and instantiated on
  each engine, and parsed eagerly on :interpreter: {:large {[props engine] instance},
  :eager instance} (Chicory instances)."
  [name]
  (let [instance (fn [props engine]
                   (with-props props
                     (let [m (Module/parse (.toPath (io/file (wasm name))))]
                       (is (= (not= "off" (props "clj-wasi.large")) (.lazy (.plan m)))
                           (str name " parsed lazily under " props))
                       (.chicory (.build (.engine (ModuleInstance/builder m) engine))))))]
    {:eager (instance {"clj-wasi.large" "off"} Engine/INTERPRETER)
     :large (into {} (for [props large-props
                           engine [Engine/INTERPRETER Engine/COMPILER Engine/AUTO]]
                       [[props engine] (instance props engine)]))}))

(def ^:private large-calls (delay (large-instances "simd_calls")))
(def ^:private large-ops (delay (large-instances "simd_ops")))

(defn- runs-alike?
  "Whether every large instance runs the case as the eager one does (float-lane arithmetic:
  up to NaN payloads, as the compiled code may differ there)."
  [{:keys [eager large]} [name :as export] args scratch]
  (let [want (run-case eager export args scratch)]
    (every? (fn [[k inst]]
              (let [got (run-case inst export args scratch)]
                (or (= want got)
                    (same-up-to-nan-payloads? name want got)
                    (do (println "differs:" k name args want got) false))))
            large)))

(defspec a-large-module-runs-v128-calls-and-locals-alike-on-every-engine 300
  (prop/for-all [{:keys [export args scratch]} gen-calls-case]
    (runs-alike? @large-calls export args scratch)))

(defspec a-large-module-runs-every-simd-instruction-alike-on-every-engine 600
  (prop/for-all [{:keys [export args scratch]} gen-op-case]
    (runs-alike? @large-ops export args scratch)))
