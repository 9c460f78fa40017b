(ns clj-wasi.legacy-eh-test
  "Legacy exception handling (try/catch/catch_all/rethrow/delegate), translated at load
  time to try_table/throw_ref (cljwasi.engine.eh.LegacyEh), on both engines: hand-written
  modules whose expected results were computed by V8 (node 20, which runs legacy EH
  natively; test/wasm/tools/eh_expect.mjs), and a property over random nestings checked
  against a reference evaluator written here."
  (:require [clj-wasi.test-util :refer [wasm thrown-data]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check :as tc]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi.engine.eh LegacyEh)
           (java.nio.file Files Path)))

(def engines [:interpreter :compiler])

(defn- read-bytes ^bytes [path]
  (Files/readAllBytes (Path/of ^String path (make-array String 0))))

(defn- outcome
  "Calls export `f` of a fresh instance of `m` with `args`: the result, or :exception
  when a Wasm exception (or anything else) leaves the module."
  [m engine f args]
  (with-open [i (wasm/load m {:engine engine})]
    (try (apply (wasm/fn i f) args)
         (catch clojure.lang.ExceptionInfo _ :exception))))

;; ------------------------------------------------------------------ hand-written modules

(def legacy-expected
  "From `node test/wasm/tools/eh_expect.mjs test/wasm/eh_legacy.wasm ...` (V8)."
  "catch-payload 0 => 1000|nested-unmatched 0 => 10|rethrow 0 => -1|rethrow-outer 0 => -1|
  delegate-outer 0 => 1|delegate-skip 0 => 1|delegate-block 0 => 1|delegate-caller 0 => 10|
  delegate-chain 0 => 1|try-params 0 => 2413|branches 0 => 17|uncaught 0 => 0|
  catch-payload 1 => 1|nested-unmatched 1 => 40|rethrow 1 => 5|rethrow-outer 1 => exception|
  delegate-outer 1 => 3|delegate-skip 1 => 3|delegate-block 1 => 6|delegate-caller 1 => 7|
  delegate-chain 1 => 8|try-params 1 => 7060|branches 1 => 16|uncaught 1 => exception|
  catch-payload 2 => 242|nested-unmatched 2 => 11|rethrow 2 => 142|rethrow-outer 2 => 2429|
  delegate-outer 2 => 44|delegate-skip 2 => 3|delegate-block 2 => 6|delegate-caller 2 => 1042|
  delegate-chain 2 => 8|try-params 2 => 5042|branches 2 => 17|uncaught 2 => exception|
  catch-payload 3 => 407|nested-unmatched 3 => 40|rethrow 3 => 5|rethrow-outer 3 => exception|
  delegate-outer 3 => 3|delegate-skip 3 => 3|delegate-block 3 => 6|delegate-caller 3 => 7|
  delegate-chain 3 => 8|try-params 3 => 7060|branches 3 => 16|uncaught 3 => exception|
  catch-payload 4 => 4|nested-unmatched 4 => 30|rethrow 4 => 5|rethrow-outer 4 => -3|
  delegate-outer 4 => 3|delegate-skip 4 => 3|delegate-block 4 => 6|delegate-caller 4 => 7|
  delegate-chain 4 => 12|try-params 4 => 7060|branches 4 => 17|uncaught 4 => 10|
  delegate-to-catch => 1|no-throw => 34|loop 0 => 0|loop 5 => 10|branches 9 => 11|
  throw-deep 2 0 => 42|throw-deep 2 5 => 42|throw-deep 1 3 => -1|throw-deep 0 4 => 4")

(defn- parse-expected [s]
  (for [entry (str/split s #"\|")
        :let [[call result] (map str/trim (str/split entry #"=>"))
              [f & args] (str/split call #"\s+")]]
    [f (mapv parse-long args) (if (= result "exception") :exception (parse-long result))]))

(deftest detects-legacy-modules
  (is (LegacyEh/usesLegacyEh (read-bytes (wasm "eh_legacy"))))
  (is (LegacyEh/usesLegacyEh (read-bytes (wasm "eh_mixed"))))
  (is (LegacyEh/usesLegacyEh (read-bytes (wasm "eh_simd"))))
  (testing "other modules are left alone: the very same array comes back"
    (doseq [n ["numbers" "traps" "hello" "host_imports"]]
      (let [bs (read-bytes (wasm n))]
        (is (not (LegacyEh/usesLegacyEh bs)) n)
        (is (identical? bs (LegacyEh/translateIfNeeded bs n)) n))))
  (testing "the translation has no legacy instruction left (translating again is a no-op)"
    (let [once (LegacyEh/translateIfNeeded (read-bytes (wasm "eh_legacy")) "eh_legacy.wasm")]
      (is (not (LegacyEh/usesLegacyEh once)))
      (is (identical? once (LegacyEh/translateIfNeeded once "again"))))))

(deftest every-legacy-instruction-on-both-engines
  (let [m (wasm/module (wasm "eh_legacy"))]
    (doseq [engine engines
            [f args expected] (parse-expected legacy-expected)]
      (is (= expected (outcome m engine f args)) (str engine " " f " " args)))))

(deftest uncaught-exceptions-leave-as-errors
  (let [m (wasm/module (wasm "eh_legacy"))]
    (doseq [engine engines]
      (with-open [i (wasm/load m {:engine engine})]
        (is (instance? clojure.lang.ExceptionInfo
                       (try ((wasm/fn i "uncaught") 1) (catch Exception e e))))
        (is (= 10 ((wasm/fn i "uncaught") 4)) "the instance is still usable")))))

(deftest legacy-functions-with-every-kind-of-immediate
  (let [m (wasm/module (wasm "eh_mixed"))]
    (doseq [engine engines
            [arg expected] [[0 1100] [1 1005] [2 151588136] [3 151588136] [4 151588136]]]
      (is (= expected (outcome m engine "mixed" [arg])) (str engine " mixed " arg))))
  (testing "SIMD (which Chicory does not run) is walked correctly: the result validates"
    (let [bs (read-bytes (wasm "eh_simd"))
          out (LegacyEh/translateIfNeeded bs "eh_simd.wasm")]
      (is (not (identical? bs out)))
      (is (not (LegacyEh/usesLegacyEh out)))
      (is (some? (wasm/module out))))))

;; ------------------------------------------------------------------ a tiny binary emitter

(defn- uleb [n]
  (loop [n (long n) out []]
    (let [b (bit-and n 0x7f) n (unsigned-bit-shift-right n 7)]
      (if (zero? n) (conj out b) (recur n (conj out (bit-or b 0x80)))))))

(defn- sleb [n]
  (loop [n (long n) out []]
    (let [b (bit-and n 0x7f) n (bit-shift-right n 7)]
      (if (or (and (zero? n) (zero? (bit-and b 0x40)))
              (and (= -1 n) (pos? (bit-and b 0x40))))
        (conj out b)
        (recur n (conj out (bit-or b 0x80)))))))

(defn- vec-of [items] (concat (uleb (count items)) (apply concat items)))
(defn- section [id content] (let [c (vec content)] (concat [id] (uleb (count c)) c)))
(defn- name-of [^String s] (let [bs (.getBytes s "UTF-8")] (concat (uleb (count bs)) (map #(bit-and % 0xff) bs))))

(defn- module-bytes
  "A module: `types` [[params results]] (value type bytes), `funcs` [{:type :locals :body}]
  (body without its final end), `tags` [type-index], one mutable i32 global, `exports`
  [[name func-index]]."
  ^bytes [{:keys [types funcs tags exports]}]
  (byte-array
   (map unchecked-byte
        (concat [0 0x61 0x73 0x6d 1 0 0 0]
                (section 1 (vec-of (for [[ps rs] types] (concat [0x60] (vec-of (map vector ps))
                                                              (vec-of (map vector rs))))))
                (section 3 (vec-of (for [f funcs] (uleb (:type f)))))
                (when (seq tags) (section 13 (vec-of (for [t tags] (concat [0] (uleb t))))))
                (section 6 (vec-of [[0x7f 1 0x41 0 0x0b]]))
                (section 7 (vec-of (for [[n i] exports] (concat (name-of n) [0] (uleb i)))))
                (section 10 (vec-of (for [{:keys [locals body]} funcs]
                                      (let [b (concat (vec-of (for [[n t] locals] (concat (uleb n) [t])))
                                                      body [0x0b])]
                                        (concat (uleb (count b)) b)))))))))

;; ------------------------------------------------------------------ random legacy programs
;;
;; A program is a vector of void functions (the first is the entry; a function calls only
;; later ones). Statements:
;;   {:op :mark :k}              h = h*31 + k   (h: the i32 global, the observable trace)
;;   {:op :throw :tag :payload}  tags 0 (no payload), 1 and 2 (i32 payload)
;;   {:op :br :d :v}             br d, carrying v when the target try has an i32 result
;;   {:op :rethrow :d}           d names an enclosing catch handler
;;   {:op :call :f}
;;   {:op :block :body}
;;   {:op :try :result? :body :body-val :catches [{:tag :body :val}] :catch-all {:body :val}}
;;   {:op :delegate :result? :body :body-val :d}
;; A handler of a payload tag first marks the payload; a try with a result marks its value
;; after the try.

(def ^:private tag-params {0 [] 1 [0x7f] 2 [0x7f]})

(declare gen-stmts)

(defn- gen-try [frames fi nf budget]
  (gen/let [result? gen/boolean
            body-val (gen/choose 0 99)
            body (gen-stmts (conj frames {:kind :try :result? result?}) fi nf (dec budget))
            catches (gen/vector
                     (gen/let [tag (gen/choose 0 2)
                               val (gen/choose 0 99)
                               body (gen-stmts (conj frames {:kind :try :handler? true
                                                             :result? result?})
                                               fi nf (dec budget))]
                       {:tag tag :body body :val val})
                     0 3)
            catch-all (gen/frequency
                       [[1 (gen/return nil)]
                        [1 (gen/let [val (gen/choose 0 99)
                                     body (gen-stmts (conj frames {:kind :try :handler? true
                                                                   :result? result?})
                                                     fi nf (dec budget))]
                             {:body body :val val})]])]
    {:op :try :result? result? :body body :body-val body-val :catches catches
     :catch-all catch-all}))

(defn- gen-delegate [frames fi nf budget]
  (gen/let [result? gen/boolean
            body-val (gen/choose 0 99)
            d (gen/choose 0 (dec (count frames)))
            body (gen-stmts (conj frames {:kind :try :result? result?}) fi nf (dec budget))]
    {:op :delegate :result? result? :body body :body-val body-val :d d}))

(defn- gen-stmt [frames fi nf budget]
  (let [handler-depths (keep-indexed (fn [d f] (when (:handler? f) d)) (rseq frames))]
    (gen/frequency
     (cond-> [[3 (gen/fmap (fn [k] {:op :mark :k k}) (gen/choose 1 1000))]
              [2 (gen/let [tag (gen/choose 0 2)
                           payload (gen/choose Integer/MIN_VALUE Integer/MAX_VALUE)]
                   {:op :throw :tag tag :payload payload})]
              [1 (gen/let [d (gen/choose 0 (dec (count frames))) v (gen/choose 0 99)]
                   {:op :br :d d :v v})]]
       (seq handler-depths)
       (conj [2 (gen/fmap (fn [d] {:op :rethrow :d d}) (gen/elements handler-depths))])
       (< (inc fi) nf)
       (conj [2 (gen/fmap (fn [f] {:op :call :f f}) (gen/choose (inc fi) (dec nf)))])
       (pos? budget)
       (into [[1 (gen/fmap (fn [body] {:op :block :body body})
                           (gen-stmts (conj frames {:kind :block}) fi nf (dec budget)))]
              [4 (gen-try frames fi nf budget)]
              [3 (gen-delegate frames fi nf budget)]])))))

(defn- gen-stmts [frames fi nf budget]
  (gen/vector (gen-stmt frames fi nf budget) 0 3))

(def gen-program
  ;; each body sits in a block: Chicory 1.7.5's compiler refuses dead code after a
  ;; function-level block that always leaves through the function's label, e.g.
  ;; (block (br 1)) (block), with or without exception handling
  (gen/let [nf (gen/choose 1 3)
            fns (apply gen/tuple (for [fi (range nf)]
                                   (gen-stmts [{:kind :func} {:kind :block}] fi nf 3)))]
    (mapv (fn [body] [{:op :block :body body}]) fns)))

;; emitting: function 0 is $mark (i32) -> (); a program's functions start at `base`

(declare emit-stmts)

(defn- const [v] (concat [0x41] (sleb v)))
(def ^:private mark-top [0x10 0])

(defn- emit-stmt [{:keys [op] :as s} frames base]
  (case op
    :mark (concat (const (:k s)) mark-top)
    :throw (concat (when (pos? (:tag s)) (const (:payload s))) [0x08 (:tag s)])
    :br (let [target (nth frames (- (count frames) 1 (:d s)))]
          (concat (when (:result? target) (const (:v s))) [0x0c] (uleb (:d s))))
    :rethrow (concat [0x09] (uleb (:d s)))
    :call (concat [0x10] (uleb (+ base (:f s))))
    :block (concat [0x02 0x40] (emit-stmts (:body s) (conj frames {:kind :block}) base) [0x0b])
    (:try :delegate)
    (let [r? (:result? s)
          hframes (conj frames {:kind :try :handler? true :result? r?})]
      (concat [0x06 (if r? 0x7f 0x40)]
              (emit-stmts (:body s) (conj frames {:kind :try :result? r?}) base)
              (when r? (const (:body-val s)))
              (if (= op :delegate)
                (concat [0x18] (uleb (:d s)))
                (concat (mapcat (fn [{:keys [tag body val]}]
                                  (concat [0x07 tag] (when (pos? tag) mark-top)
                                          (emit-stmts body hframes base)
                                          (when r? (const val))))
                                (:catches s))
                        (when-let [{:keys [body val]} (:catch-all s)]
                          (concat [0x19] (emit-stmts body hframes base) (when r? (const val))))
                        [0x0b]))
              (when r? mark-top)))))

(defn- emit-stmts [stmts frames base]
  (mapcat #(emit-stmt % frames base) stmts))

(defn- programs-module
  "One module running every program: export \"run<i>\" resets h, calls program i's
  entry inside a try that records what escapes it, and returns h."
  ^bytes [programs]
  (let [mark-fn {:type 1 :body [0x23 0 0x41 31 0x6c 0x20 0 0x6a 0x24 0]}
        bases (reductions + 1 (map count programs))
        n-prog-fns (reduce + (map count programs))
        prog-fns (for [[p base] (map vector programs bases), body p]
                   {:type 0 :body (emit-stmts body [{:kind :func}] base)})
        wrappers (for [[_ base] (map vector programs bases)]
                   {:type 2
                    :body (concat [0x41 0 0x24 0                  ; h = 0
                                   0x06 0x40 0x10] (uleb base)
                                  [0x07 0] (const 1001) mark-top
                                  [0x07 1] mark-top (const 1002) mark-top
                                  [0x07 2] mark-top (const 1003) mark-top
                                  [0x0b 0x23 0])})]
    (module-bytes {:types [[[] []] [[0x7f] []] [[] [0x7f]]]
                   :tags [0 1 1]
                   :funcs (concat [mark-fn] prog-fns wrappers)
                   :exports (for [i (range (count programs))]
                              [(str "run" i) (+ 1 n-prog-fns i)])})))

;; the reference evaluator: results are {:k :ok}, {:k :br :d :v}, {:k :throw :exn :skip},
;; where :skip counts enclosing labels whose handlers a delegated exception passes by

(defn- mix [^long h ^long k] (unchecked-int (+ (unchecked-multiply h 31) k)))

(declare exec-stmts exec-fn)

(defn- leave
  "What `r`, coming out of a label frame's construct, is outside it; `value` is
  called with the value a result-typed try delivers (or nil)."
  [r value]
  (case (:k r)
    :ok (value nil)
    :br (if (zero? (:d r)) (value (:v r)) (update r :d dec))
    :throw (if (pos? (:skip r)) (update r :skip dec) r)))

(defn- exec-stmt [prog {:keys [op] :as s} frames h]
  (case op
    :mark (do (vswap! h mix (:k s)) {:k :ok})
    :throw {:k :throw :skip 0
            :exn {:tag (:tag s) :payload (when (pos? (:tag s)) (:payload s))}}
    :br {:k :br :d (:d s) :v (:v s)}
    :rethrow {:k :throw :skip 0 :exn (:exn (nth frames (- (count frames) 1 (:d s))))}
    :call (let [r (exec-fn prog (:f s) h)] (if (= :throw (:k r)) (assoc r :skip 0) {:k :ok}))
    :block (leave (exec-stmts prog (:body s) (conj frames {:kind :block}) h)
                  (fn [_] {:k :ok}))
    (:try :delegate)
    (let [r? (:result? s)
          done (fn [default]
                 (fn [v]
                   (when r? (vswap! h mix (if (some? v) v default)))
                   {:k :ok}))
          r (exec-stmts prog (:body s) (conj frames {:kind :try :result? r?}) h)]
      (if (or (not= :throw (:k r)) (pos? (:skip r)))
        (leave r (done (:body-val s)))
        (let [exn (:exn r)]
          (if (= op :delegate)
            (assoc r :skip (:d s))
            (if-let [handler (or (first (filter #(= (:tag %) (:tag exn)) (:catches s)))
                                 (:catch-all s))]
              (do (when (and (:payload exn) (:tag handler)) (vswap! h mix (:payload exn)))
                  (leave (exec-stmts prog (:body handler)
                                     (conj frames {:kind :try :handler? true :exn exn}) h)
                         (done (:val handler))))
              r)))))))

(defn- exec-stmts [prog stmts frames h]
  (reduce (fn [_ s]
            (let [r (exec-stmt prog s frames h)]
              (if (= :ok (:k r)) r (reduced r))))
          {:k :ok} stmts))

(defn- exec-fn [prog f h]
  (let [r (exec-stmts prog (nth prog f) [{:kind :func}] h)]
    (if (= :throw (:k r)) (assoc r :skip 0) {:k :ok})))

(defn- expected-trace [prog]
  (let [h (volatile! 0)
        r (exec-fn prog 0 h)]
    (when (= :throw (:k r))
      (let [{:keys [tag payload]} (:exn r)]
        (when payload (vswap! h mix payload))
        (vswap! h mix (+ 1001 tag))))
    @h))

(defn- run-programs [programs engine]
  (let [m (wasm/module (programs-module programs))]
    (with-open [i (wasm/load m {:engine engine})]
      (mapv #((wasm/fn i (str "run" %))) (range (count programs))))))

(deftest random-nestings-match-the-reference-evaluator
  (let [result (tc/quick-check
                40
                (prop/for-all [programs (gen/vector gen-program 1 8)]
                  (let [expected (mapv expected-trace programs)]
                    (every? #(= expected (run-programs programs %)) engines)))
                :seed (System/currentTimeMillis))]
    (is (:pass? result) (pr-str (select-keys result [:seed :shrunk])))))

(deftest a-small-fixed-program
  (testing "delegate to the caller, rethrow from a nested handler, payload marks"
    (let [prog [[{:op :try :result? true :body-val 5
                  :body [{:op :call :f 1}]
                  :catches [{:tag 1 :val 6
                             :body [{:op :try :result? false
                                     :body [{:op :throw :tag 2 :payload 9}]
                                     :catches [{:tag 2 :val 0 :body [{:op :rethrow :d 1}]}]}]}]}]
                [{:op :mark :k 3}
                 {:op :delegate :result? false :d 0
                  :body [{:op :throw :tag 1 :payload 77}]}
                 {:op :mark :k 4}]]
          expected (expected-trace prog)]
      ;; h: mark 3; payload 77 (catch 1); payload 9 (inner catch 2); rethrow of tag 1 77
      ;; escapes: payload 77 and 1002 at the wrapper
      (is (= (reduce mix 0 [3 77 9 77 1002]) expected))
      (doseq [engine engines]
        (is (= [expected] (run-programs [prog] engine)) (str engine))))))

;; ------------------------------------------------------------------ what cannot be translated

(defn- legacy-module-with-body ^bytes [body]
  (module-bytes {:types [[[] []]] :tags [0]
                 :funcs [{:type 0 :body []} {:type 0 :body body}]
                 :exports [["f" 1]]}))

(deftest untranslatable-bodies-fail-clearly
  (testing "an opcode the walker does not know, inside a function with legacy EH"
    (let [data (thrown-data #(wasm/module (legacy-module-with-body [0x06 0x40 0xff 0x0b])))]
      (is (= :wasm/unsupported (:type data)))
      (is (= 1 (:function data)))
      (is (number? (:offset data)))))
  (testing "a delegate to a label that does not exist"
    (let [data (thrown-data #(wasm/module (legacy-module-with-body [0x06 0x40 0x18 5])))]
      (is (= :wasm/unsupported (:type data)))
      (is (= 1 (:function data)))))
  (testing "a rethrow that names no catch"
    (let [data (thrown-data #(wasm/module (legacy-module-with-body
                                           [0x06 0x40 0x09 0 0x19 0x0b])))]
      (is (= :wasm/unsupported (:type data)))))
  (testing "a module without legacy EH but with a bad opcode is left to the parser"
    (is (= :wasm/malformed
           (:type (thrown-data #(wasm/module (legacy-module-with-body [0xff]))))))))
