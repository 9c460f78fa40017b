(ns clj-wasi.branch-unwind-test
  "Branches out of blocks with parameters and loops with results. Chicory 1.7.5's
  interpreter kept a label's parameters and results together on a branch (values the branch
  drops stayed above the results), and its block ends pushed zeros under the stack when it
  held fewer values than a label's parameters and results (a block with parameters at the
  bottom of the stack then lost its caller's values). The project's interpreter unwinds
  such branches (and catch clauses) itself (cljwasi.engine.interp.BackEdges) and both interpreters run on a
  stack with a floor (StackFloor). Generated programs compare :interpreter with the
  project's compiler; test/wasm/src/branch_params.wat holds examples (values from V8), and
  a catch clause to a block with a parameter (the same junk) is built here."
  (:require [clj-wasi.test-util :refer [leb-s leb-u section vec-of wasm with-props]]
            [clj-wasi.wasm :as wasm]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (cljwasi.engine ModulePlan$Route)))

;; ---- examples -------------------------------------------------------------------------

(def ^:private examples
  "export, args, result (V8's, node 20)"
  [["block_br_if" [5 1] 0] ["block_br_if" [5 0] 0] ["nested_br" [3 8] 992]
   ["table" [10 3 0] 1007] ["table" [10 3 1] 1007] ["table" [10 3 5] 1007]
   ["loop_sum" [4] 510] ["loop_sum" [0] 500]])

(deftest branches-to-labels-with-parameters-keep-the-labels-arity
  (doseq [tier ["off" "on"] ; on: parsed lazily, bodies patched at first use
          engine [:interpreter :compiler :auto]]
    (with-open [i (with-props {"clj-wasi.tier" tier}
                    (wasm/load (wasm "branch_params") {:engine engine :cache-dir false}))]
      (doseq [[f args expected] examples]
        (is (= expected (apply (wasm/fn i f) args)) (str tier " " engine " " f " " args)))))
  (testing "the module runs in the project's interpreter under :interpreter"
    (let [plan (.plan ^Module (with-props {"clj-wasi.tier" "off"}
                                (wasm/module (wasm "branch_params"))))]
      (is (= ModulePlan$Route/INTERPRETER (.route plan Engine/INTERPRETER))))))

;; ---- a module writer for the generated programs -----------------------------------------

(def ^:private max-arity 2)

(defn- block-type
  "Type index of the block type with p i32 parameters and r i32 results (type 0 is f's)."
  [p r]
  (+ 1 (* p (inc max-arity)) r))

(defn- module-bytes
  "One exported function f (param i32 i32) (result i32) with one i32 local, code `code`."
  [code]
  (let [i32s #(vec-of (repeat % [0x7F]))]
    (byte-array
     (map unchecked-byte
          (concat [0 0x61 0x73 0x6D 1 0 0 0]
                  (section 1 (vec-of (cons (concat [0x60] (i32s 2) (i32s 1))
                                           (for [p (range (inc max-arity))
                                                 r (range (inc max-arity))]
                                             (concat [0x60] (i32s p) (i32s r))))))
                  (section 3 (vec-of [[0]]))
                  (section 7 (vec-of [[1 (int \f) 0 0]]))
                  (section 10 (vec-of [(let [body (concat [1 1 0x7F] code [0x0B])]
                                         (concat (leb-u (count body)) body))])))))))

;; ---- a catch clause to a block with a parameter ------------------------------------------

(def ^:private catch-module
  "(func (export \"f\") (result i32)
     i32.const 1000  i32.const 7
     block (param i32) (result i32)   ;; the 7 its parameter
       try_table (catch $e 0)  i32.const 42  throw $e  end
       unreachable
     end
     i32.add)                         ;; 1000 + 42: the catch leaves only the payload
   Hand-written: the wabt here writes no try_table."
  (let [code [0 0x41 0xE8 0x07 0x41 7 0x02 2 0x1F 0x40 1 0 0 0 0x41 42 0x08 0 0x0B 0x00 0x0B
              0x6A 0x0B]]
    (byte-array
     (map unchecked-byte
          (concat [0 0x61 0x73 0x6D 1 0 0 0]
                  ;; types: f's [] -> [i32], the tag's [i32] -> [], the block's [i32] -> [i32]
                  (section 1 [3 0x60 0 1 0x7F 0x60 1 0x7F 0 0x60 1 0x7F 1 0x7F])
                  (section 3 [1 0])
                  (section 13 [1 0 1])
                  (section 7 [1 1 (int \f) 0 0])
                  (section 10 (concat [1 (count code)] code)))))))

(deftest a-catch-clause-to-a-block-with-parameters-keeps-only-the-payload
  ;; Chicory's THROW_REF lands at the block's end with the block's parameter still below
  ;; the payload; Chicory's end kept both (1049)
  (doseq [engine [:interpreter :compiler]]
    (with-open [i (wasm/load catch-module {:engine engine :cache-dir false})]
      (is (= 1042 ((wasm/fn i "f"))) (str engine)))))

;; ---- the programs ---------------------------------------------------------------------
;; An expression pushes one i32. A node is a block, loop or if with p parameters and r
;; results (made from expressions before it; its results folded into one value after it)
;; whose body pushes extra values, may branch to its own label or an enclosing one with
;; the label's arity of values (br and br_table to non-loops, br_if to any: to a loop only
;; while a shared counter lasts, so every program ends), and otherwise drops what it has
;; and pushes its results.

(def ^:private counter 2) ; the local the loops' branches count down (from 3)

(def ^:private gen-leaf
  (gen/one-of [(gen/fmap (fn [n] [:const n]) (gen/choose -100 100))
               (gen/fmap (fn [k] [:param k]) (gen/choose 0 1))]))

(defn- gen-body [inner]
  (gen/hash-map :extras (gen/vector inner 0 2)
                :branch (gen/frequency
                         [[1 (gen/return nil)]
                          [4 (gen/hash-map :op (gen/elements [:br :br_if :br_table])
                                           :picks (gen/vector gen/nat 3)
                                           :cond inner)]])
                :vals (gen/vector inner max-arity)
                :tail (gen/vector inner max-arity)))

(defn- gen-node [inner]
  (gen/let [kind (gen/elements [:block :loop :if])
            p (gen/choose 0 max-arity)
            r (gen/choose 0 max-arity)
            args (gen/vector inner p)
            cond inner
            body (gen-body inner)
            else-body (gen-body inner)
            salt (gen/choose 0 100)]
    [:node {:kind kind :p p :r r :args args :cond cond :body body :else else-body :salt salt}]))

(def ^:private gen-expr
  ;; a node has up to 16 expressions in it: without a cap on the size, a tree (and its
  ;; shrinks) can outgrow the heap
  (gen/scale #(min % 24) (gen/recursive-gen gen-node gen-leaf)))

(declare emit-expr)

(defn- emit-all [exprs labels] (mapcat #(emit-expr % labels) exprs))

(def ^:private loop-guard
  "counter -= 1; counter > 0"
  [0x20 counter 0x41 1 0x6B 0x22 counter 0x41 0 0x4A])

(defn- emit-branch
  "The branch of a body (stack: p + k values), or nil when no label suits it."
  [{:keys [op picks cond]} vals labels]
  (let [non-loops (vec (keep-indexed (fn [i l] (when (not= :loop (:kind l)) i)) labels))
        pick (fn [cands n] (nth cands (mod n (count cands))))]
    (case op
      :br_if (let [t (pick (vec (range (count labels))) (first picks))
                   a (:arity (labels t))]
               {:code (concat (emit-all (take a vals) labels)
                              (if (= :loop (:kind (labels t))) loop-guard (emit-expr cond labels))
                              [0x0D] (leb-u t))
                :left a})
      (when (seq non-loops)
        (let [t (pick non-loops (first picks))
              a (:arity (labels t))]
          {:code (concat (emit-all (take a vals) labels)
                         (if (= op :br)
                           (concat [0x0C] (leb-u t))
                           (let [same (filterv #(= a (:arity (labels %))) non-loops)
                                 table (map #(pick same %) (rest picks))]
                             (concat (emit-expr cond labels)
                                     [0x0E] (vec-of (map leb-u table)) (leb-u t)))))
           :unreachable true})))))

(defn- emit-body [{:keys [extras branch vals tail]} p r labels]
  (let [b (when branch (emit-branch branch vals labels))
        on-stack (+ p (count extras) (:left b 0))]
    (concat (emit-all extras labels)
            (:code b)
            (when-not (:unreachable b)
              (concat (repeat on-stack 0x1A) (emit-all (take r tail) labels))))))

(defn- emit-expr [[tag x] labels]
  (case tag
    :const (concat [0x41] (leb-s x))
    :param [0x20 x]
    :node (let [{:keys [kind p r args cond body salt]} x
                inner (into [{:kind kind :arity (if (= kind :loop) p r)}] labels)]
            (concat (emit-all args labels)
                    (when (= kind :if) (emit-expr cond labels))
                    [({:block 0x02 :loop 0x03 :if 0x04} kind)] (leb-s (block-type p r))
                    (emit-body body p r inner)
                    (when (= kind :if) (cons 0x05 (emit-body (:else x) p r inner)))
                    [0x0B]
                    (case r 0 (concat [0x41] (leb-s salt)) 1 nil 2 [0x6B])))))

(defn- program-bytes
  "f: the counter set, then 1000 - expr (the 1000 below everything else on the stack)."
  [expr]
  (module-bytes (concat [0x41 3 0x21 counter] [0x41] (leb-s 1000) (emit-expr expr []) [0x6B])))

(defn- run [bytes engine tier args]
  (try
    (with-open [i (with-props {"clj-wasi.tier" tier}
                    (wasm/load bytes {:engine engine :cache-dir false}))]
      (apply (wasm/fn i "f") args))
    (catch clojure.lang.ExceptionInfo e {:error (:type (ex-data e)) :message (ex-message e)})))

(defspec the-interpreter-unwinds-branches-as-the-compiler-does 300
  (prop/for-all [expr gen-expr
                 args (gen/vector (gen/choose -5 5) 2)]
    (let [bytes (program-bytes expr)
          compiled (run bytes :compiler "off" args)]
      (and (int? compiled)
           (= compiled (run bytes :interpreter "off" args))
           ;; large: parsed lazily, each body patched at its first use
           (= compiled (run bytes :interpreter "on" args))))))
