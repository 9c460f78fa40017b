(ns clj-wasi.atomics-test
  "Atomic memory instructions (threads proposal) on a non-shared memory, on both engines:
  test/wasm/atomics.wasm exports each instruction, and a property calls random sequences
  of them, checking every result, trap and the memory afterwards against a model written
  here. On a non-shared memory an atomic instruction does what the plain one does.

  On JDK 22+ Chicory performs every atomic instruction under a monitor it looks up per
  address, a lookup that only a shared memory could answer: each one trapped as \"out of
  bounds memory access\". Every memory is now cljwasi.engine.LinearMemory, whose atomics
  take its monitor on every JDK."
  (:require [clj-wasi.wasm :as wasm]
            [clj-wasi.test-util :refer [wasm thrown-data]]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check :as tc]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop]))

(def engines [:interpreter :compiler])

(def ^:private page 65536)
(def ^:private mem-size (* 2 page))

(def ^:private widths
  "[value type, access bytes, the name's width part] for the seven access widths."
  [[:i32 4 ""] [:i64 8 ""] [:i32 1 "8"] [:i32 2 "16"] [:i64 1 "8"] [:i64 2 "16"] [:i64 4 "32"]])

(defn- export-name
  "The instruction (and export) name: i32.atomic.load8_u, i64.atomic.rmw32.cmpxchg_u ..."
  [kind [t _ w]]
  (let [narrow (if (= "" w) "" "_u")]
    (case kind
      :load (str (name t) ".atomic.load" w narrow)
      :store (str (name t) ".atomic.store" w)
      (str (name t) ".atomic.rmw" (when (not= "" w) w) "." (name kind) narrow))))

;; ------------------------------------------------------------------ the model

(defn- mask ^long [n] (if (= n 8) -1 (dec (bit-shift-left 1 (* 8 n)))))

(defn- read-le
  "The n bytes at addr of `mem` (address -> unsigned byte, 0 where absent), zero-extended."
  ^long [mem addr n]
  (reduce (fn [^long acc i] (bit-or acc (bit-shift-left (long (get mem (+ addr i) 0)) (* 8 i))))
          0 (range n)))

(defn- write-le [mem addr n ^long v]
  (reduce (fn [m i] (assoc m (+ addr i) (bit-and (unsigned-bit-shift-right v (* 8 i)) 0xff)))
          mem (range n)))

(defn- as-type
  "A value as wasm/fn passes or returns it: i32 as a signed 32-bit Long, i64 as a Long."
  [t ^long v]
  (if (= t :i32) (long (unchecked-int v)) v))

(def ^:private rmw-ops
  {:add unchecked-add :sub unchecked-subtract :and bit-and :or bit-or :xor bit-xor
   :xchg (fn [_ v] v)})

(defn- step
  "Runs `op` on the model: [memory' [args expected]], expected being the value returned,
  nil for a store, or the trap kind as a keyword."
  [mem {:keys [kind width addr value noise match?]}]
  (let [[t n] width
        m (mask n)
        old (read-le mem addr n)
        expected (case kind
                   :cmpxchg (as-type t (if match?
                                         ;; bits above the width are ignored when comparing
                                         (bit-or old (bit-and noise (bit-not m)))
                                         value))
                   nil)
        args (case kind
               :load [addr]
               :cmpxchg [addr expected (as-type t value)]
               [addr (as-type t value)])
        trap (cond (pos? (rem addr n)) :unaligned-atomic
                   (> (+ addr n) mem-size) :out-of-bounds-memory-access)]
    (if trap
      [mem [args trap]]
      (case kind
        :load [mem [args (as-type t old)]]
        :store [(write-le mem addr n value) [args nil]]
        :cmpxchg [(if (= old (bit-and expected m)) (write-le mem addr n value) mem)
                  [args (as-type t old)]]
        [(write-le mem addr n ((rmw-ops kind) old value)) [args (as-type t old)]]))))

;; ------------------------------------------------------------------ generators

(def ^:private windows
  "Where aligned accesses go: 64 bytes at the start, across the page boundary of Chicory's
  paged memory, and at the end of memory, so that random accesses overlap."
  [0 (- page 32) (- mem-size 64)])

(def ^:private gen-addr
  "An address for an access of n bytes: aligned in a window (mostly), misaligned in a
  window, or aligned past the end of memory."
  (fn [n]
    (gen/frequency
     [[8 (gen/let [w (gen/elements windows) k (gen/choose 0 (dec (quot 64 n)))]
           (+ w (* k n)))]
      [1 (if (= n 1)
           (gen/return mem-size)
           (gen/let [w (gen/elements windows) k (gen/choose 0 (dec (quot 64 n)))
                     r (gen/choose 1 (dec n))]
             (+ w (* k n) r)))]
      [1 (gen/let [k (gen/choose 0 3)]
           (gen/elements [(+ mem-size (* k n)) (- 0x100000000 (* (inc k) n))]))]])))

(def ^:private gen-long
  (gen/one-of [gen/large-integer (gen/elements [0 1 -1 0xff 0x100 0xffff 0x7fffffff
                                                 0xffffffff Long/MIN_VALUE Long/MAX_VALUE])]))

(def ^:private gen-op
  (gen/let [kind (gen/elements (into [:load :store :cmpxchg] (keys rmw-ops)))
            width (gen/elements widths)
            addr (gen-addr (second width))
            value gen-long
            noise gen-long
            match? gen/boolean]
    {:kind kind :width width :addr addr :value value :noise noise :match? match?}))

;; ------------------------------------------------------------------ running

(defn- run-ops
  "Runs `ops` on a fresh instance: [what each returned, the windows' bytes afterwards]."
  [m engine ops]
  (with-open [i (wasm/load m {:engine engine})]
    (let [results (mapv (fn [{:keys [kind width args]}]
                          (try (apply (wasm/fn i (export-name kind width)) args)
                               (catch clojure.lang.ExceptionInfo e
                                 (let [d (ex-data e)]
                                   (if (= :wasm/trap (:type d)) (:kind d) d)))))
                        ops)]
      [results (mapv #(vec (wasm/read-bytes i % 64)) windows)])))

(defn- model-run
  "`ops` with their args, and [what each must return, the windows' bytes afterwards]."
  [ops]
  (let [[mem steps] (reduce (fn [[mem acc] op]
                              (let [[mem' [args expected]] (step mem op)]
                                [mem' (conj acc [(assoc op :args args) expected])]))
                            [{} []] ops)]
    [(mapv first steps)
     [(mapv second steps)
      (mapv (fn [w] (mapv #(unchecked-byte (get mem (+ w %) 0)) (range 64))) windows)]]))

(deftest atomic-instructions-match-the-model
  (let [m (wasm/module (wasm "atomics"))
        result (tc/quick-check
                60
                (prop/for-all [ops (gen/vector gen-op 1 40)]
                  (let [[ops expected] (model-run ops)]
                    (every? #(= expected (run-ops m % ops)) engines)))
                :seed (System/currentTimeMillis))]
    (is (:pass? result) (pr-str (select-keys result [:seed :shrunk])))))

(deftest every-kind-and-width-once
  ;; the property picks at random; this walks each export once, so none is left out
  (let [m (wasm/module (wasm "atomics"))
        ops (vec (for [kind (into [:load :store :cmpxchg] (keys rmw-ops))
                       width widths]
                   {:kind kind :width width :addr (+ page (second width)) :value -3 :noise 0
                    :match? (odd? (count (export-name kind width)))}))
        [ops expected] (model-run ops)]
    (is (= (* 9 7) (count (set (map #(export-name (:kind %) (:width %)) ops)))))
    (doseq [engine engines]
      (is (= expected (run-ops m engine ops)) (str engine)))))

(deftest wait-and-notify-on-a-non-shared-memory
  (with-open [i (wasm/load (wasm/module (wasm "atomics")))]
    (testing "notify wakes no one"
      (is (= 0 ((wasm/fn i "memory.atomic.notify") 0 1)))
      (is (= 0 ((wasm/fn i "memory.atomic.notify") page 100))))
    (testing "wait traps: nothing may wait on a non-shared memory"
      (is (= :wasm/trap (:type (thrown-data #((wasm/fn i "memory.atomic.wait32") 0 0 0)))))
      (is (= :wasm/trap (:type (thrown-data #((wasm/fn i "memory.atomic.wait64") 8 0 -1))))))))
