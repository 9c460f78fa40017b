(ns clj-wasi.wasm-test
  "The public API: loading, exports as Clojure functions, values across the
  boundary, host imports, memory helpers, errors, stdio and isolation."
  (:require [clj-wasi.test-util :refer [wasm thrown-data gen-unicode-string with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.io ByteArrayOutputStream PipedInputStream PipedOutputStream StringWriter)
           (java.util.concurrent Executors Future)))

(def numbers (delay (wasm/module (wasm "numbers"))))
(def numbers-inst (delay (wasm/load @numbers)))
(defn- export [name] (wasm/fn @numbers-inst name))

;; ---- values across the boundary ----------------------------------------------

(defspec i32-values-round-trip 500
  (prop/for-all [v (gen/choose Integer/MIN_VALUE Integer/MAX_VALUE)]
    (= v ((export "id_i32") v))))

(defspec unsigned-i32-values-wrap-to-signed 200
  (prop/for-all [v (gen/choose 0 0xFFFFFFFF)]
    (= (unchecked-int v) ((export "id_i32") v))))

(defspec i64-values-round-trip 500
  (prop/for-all [v gen/large-integer]
    (= v ((export "id_i64") v))))

(defspec f32-bit-patterns-round-trip-exactly 1000
  ;; every f32 bit pattern, NaN payloads and -0.0 included, survives both directions
  (prop/for-all [bits (gen/choose Integer/MIN_VALUE Integer/MAX_VALUE)]
    (let [f (Float/intBitsToFloat (unchecked-int bits))]
      (and (= bits ((export "f32_bits") f))
           (= bits (Float/floatToRawIntBits ((export "id_f32") f)))
           (= bits (Float/floatToRawIntBits ((export "bits_f32") bits)))))))

(defspec f64-bit-patterns-round-trip-exactly 1000
  (prop/for-all [bits gen/large-integer]
    (let [d (Double/longBitsToDouble bits)]
      (and (= bits ((export "f64_bits") d))
           (= bits (Double/doubleToRawLongBits ((export "id_f64") d)))
           (= bits (Double/doubleToRawLongBits ((export "bits_f64") bits)))))))

(defspec i32-add-wraps-like-wasm 300
  (prop/for-all [a (gen/choose Integer/MIN_VALUE Integer/MAX_VALUE)
                 b (gen/choose Integer/MIN_VALUE Integer/MAX_VALUE)]
    (= (unchecked-int (+ a b)) ((export "add") a b))))

(deftest extremes-and-special-values
  (doseq [v [0 -1 1 Integer/MIN_VALUE Integer/MAX_VALUE]]
    (is (= v ((export "id_i32") v))))
  (doseq [v [0 -1 Long/MIN_VALUE Long/MAX_VALUE]]
    (is (= v ((export "id_i64") v))))
  (is (= -1 ((export "id_i64") 18446744073709551615N)) "u64 max wraps to -1")
  (is (= (Double/doubleToRawLongBits -0.0) (Double/doubleToRawLongBits ((export "id_f64") -0.0))))
  (is (= (Float/floatToRawIntBits (float -0.0)) (Float/floatToRawIntBits ((export "id_f32") (float -0.0)))))
  (is (Double/isNaN ((export "id_f64") ##NaN)))
  (is (= ##Inf ((export "id_f64") ##Inf)))
  (is (= Float/MAX_VALUE ((export "id_f32") Float/MAX_VALUE)))
  (is (= (float 1.5) ((export "id_f32") 3/2)) "ratios are numbers too")
  (is (instance? Float ((export "id_f32") 1.0)))
  (is (instance? Double ((export "id_f64") 1)))
  (is (instance? Long ((export "id_i32") (int 5)))))

(deftest results-shape
  (is (nil? ((export "nothing"))))
  (is (= [2.5 7] ((export "swap") 7 2.5)))
  (is (= 3 ((export "add") 1 2))))

(deftest argument-checks
  (let [id32 (export "id_i32")]
    (is (= :wasm/bad-argument (:type (thrown-data #(id32 4294967296)))))
    (is (= :wasm/bad-argument (:type (thrown-data #(id32 -2147483649)))))
    (is (= :wasm/bad-argument (:type (thrown-data #(id32 1.5)))))
    (is (= :wasm/bad-argument (:type (thrown-data #(id32 "1")))))
    (is (= :wasm/bad-argument (:type (thrown-data #(id32 nil)))))
    (let [d (thrown-data #(id32 1 2))]
      (is (= :wasm/arity (:type d)))
      (is (= 2 (:given d)))
      (is (= [:i32] (:params d))))
    (is (= :wasm/arity (:type (thrown-data #(id32))))))
  (is (= :wasm/bad-argument (:type (thrown-data #((export "id_i64") 18446744073709551616N)))))
  (is (= :wasm/bad-argument (:type (thrown-data #((export "id_f32") 1e300)))))
  (is (= :wasm/bad-argument (:type (thrown-data #((export "id_f64") :x)))))
  (is (= :wasm/arity (:type (thrown-data #((export "add") 1 2 3 4 5 6))))))

;; ---- module data ---------------------------------------------------------------

(deftest exports-and-imports-as-data
  (let [ex (wasm/exports (wasm "numbers"))]
    (is (= {:name "add" :kind :function :params [:i32 :i32] :results [:i32]}
           (first (filter #(= "add" (:name %)) ex))))
    (is (= {:name "swap" :kind :function :params [:i32 :f64] :results [:f64 :i32]}
           (first (filter #(= "swap" (:name %)) ex))))
    (is (some #{{:name "memory" :kind :memory :min 1 :max 4 :shared false}} ex)))
  (is (= [] (wasm/imports @numbers)))
  (let [im (wasm/imports (wasm "hello"))]
    (is (every? #(= "wasi_snapshot_preview1" (:module %)) im))
    (is (some #{{:module "wasi_snapshot_preview1" :name "fd_write" :kind :function
                 :params [:i32 :i32 :i32 :i32] :results [:i32]}} im)))
  (is (= (wasm/exports @numbers-inst) (wasm/exports @numbers))))

(deftest modules-load-from-every-kind-of-source
  (let [bytes (java.nio.file.Files/readAllBytes (.toPath (io/file (wasm "numbers"))))]
    (doseq [src [(wasm "numbers") (io/file (wasm "numbers")) (.toPath (io/file (wasm "numbers")))
                 bytes (java.io.ByteArrayInputStream. bytes) (io/as-url (io/file (wasm "numbers")))]]
      (with-open [i (wasm/load src)]
        (is (= 5 ((wasm/fn i "add") 2 3)) (str "from " (class src))))))
  (is (= :wasm/not-found (:type (thrown-data #(wasm/module "no/such/file.wasm")))))
  (is (= :wasm/bad-argument (:type (thrown-data #(wasm/module 42))))))

;; ---- memory -------------------------------------------------------------------

(defspec memory-bytes-round-trip 200
  (prop/for-all [bs (gen/fmap byte-array (gen/vector (gen/fmap unchecked-byte (gen/choose 0 255)) 0 300))
                 off (gen/choose 0 65000)]
    (with-open [i (wasm/load @numbers)]
      (wasm/write-bytes! i off bs)
      (= (seq bs) (seq (wasm/read-bytes i off (alength ^bytes bs)))))))

(defspec memory-strings-round-trip 100
  (prop/for-all [s gen-unicode-string]
    (with-open [i (wasm/load @numbers)]
      (let [n (wasm/write-string! i 100 s)]
        (= s (wasm/read-string i 100 n))))))

(deftest memory-bounds
  (with-open [i (wasm/load @numbers)]
    (is (= 65536 (wasm/memory-size i)))
    (is (= :wasm/out-of-bounds (:type (thrown-data #(wasm/read-bytes i 65535 2)))))
    (is (= :wasm/out-of-bounds (:type (thrown-data #(wasm/read-bytes i -1 1)))))
    (is (= :wasm/out-of-bounds (:type (thrown-data #(wasm/write-bytes! i 65536 (byte-array 1))))))))

(deftest instances-are-independent
  (with-open [a (wasm/load @numbers) b (wasm/load @numbers)]
    (is (= [1 2 3] (repeatedly 3 (wasm/fn a "inc"))))
    (is (= 1 ((wasm/fn b "inc"))) "b's global is its own")))

;; ---- host imports -------------------------------------------------------------

(deftest host-imports
  (let [logged (atom [])
        imports {"env" {"add" (fn [a b] (* 10 (+ a b)))
                        "log" {:fn (fn [inst p n] (swap! logged conj (wasm/read-string inst p n)))
                               :instance? true}}
                 "math" {"scale" {:fn #(* 2.0 %) :params [:f64] :results [:f64]}}}]
    (with-open [i (wasm/load (wasm "host_imports") {:imports imports})]
      (is (= 50 ((wasm/fn i "call_add") 2 3)))
      (is (nil? ((wasm/fn i "call_log"))))
      (is (= ["hi from wasm"] @logged))
      (is (= 3.0 ((wasm/fn i "call_scale") 1.5)))))
  (testing "every missing import is listed"
    (let [d (thrown-data #(wasm/load (wasm "host_imports") {:imports {"env" {"add" +}}}))]
      (is (= :wasm/missing-imports (:type d)))
      (is (= #{["env" "log"] ["math" "scale"]} (set (map (juxt :module :name) (:missing d)))))))
  (testing "signatures are checked at load"
    (is (= :wasm/import-mismatch
           (:type (thrown-data #(wasm/load (wasm "host_imports")
                                           {:imports {"env" {"add" {:fn + :params [:i64 :i32]} "log" (fn [p n])}
                                                      "math" {"scale" identity}}})))))
    (is (= :wasm/import-mismatch
           (:type (thrown-data #(wasm/load (wasm "host_imports")
                                           {:imports {"env" {"add" (fn [a] a) "log" (fn [p n])}
                                                      "math" {"scale" identity}}}))))
        "a fn that cannot take two arguments"))
  (testing "a throwing host function surfaces as :wasm/host-error with its cause"
    (with-open [i (wasm/load (wasm "host_imports")
                             {:imports {"env" {"add" (fn [_ _] (throw (ex-info "boom" {:mine 1})))
                                               "log" (fn [_ _])}
                                        "math" {"scale" identity}}})]
      (let [e (try ((wasm/fn i "call_add") 1 2) (catch Exception e e))]
        (is (= :wasm/host-error (:type (ex-data e))))
        (is (= {:mine 1} (ex-data (ex-cause e)))))))
  (testing "a host result of the wrong type"
    (with-open [i (wasm/load (wasm "host_imports")
                             {:imports {"env" {"add" (fn [_ _] "x") "log" (fn [_ _])}
                                        "math" {"scale" identity}}})]
      (is (= :wasm/bad-result (:type (thrown-data #((wasm/fn i "call_add") 1 2))))))))

;; ---- errors -------------------------------------------------------------------

(deftest traps-have-kinds
  (with-open [i (wasm/load (wasm "traps"))]
    (is (= {:type :wasm/trap :kind :unreachable}
           (select-keys (thrown-data #((wasm/fn i "unreachable"))) [:type :kind])))
    (is (= :integer-divide-by-zero (:kind (thrown-data #((wasm/fn i "div_by_zero") 0)))))
    (is (= 1 ((wasm/fn i "div_by_zero") 1)) "the instance still works after a trap")
    (is (= :out-of-bounds-memory-access (:kind (thrown-data #((wasm/fn i "oob_load") 65535)))))
    (is (= :stack-overflow (:kind (thrown-data #((wasm/fn i "recurse") 0)))))
    (is (= 1 ((wasm/fn i "grow") 2)))
    (is (= -1 ((wasm/fn i "grow") 70000)))))

(deftest engines-agree
  (doseq [engine [:interpreter :compiler :auto]]
    (with-open [i (wasm/load (wasm "traps") {:engine engine})]
      (is (= :stack-overflow (:kind (thrown-data #((wasm/fn i "recurse") 0)))) (str engine))
      (is (= :integer-divide-by-zero (:kind (thrown-data #((wasm/fn i "div_by_zero") 0)))) (str engine)))
    (with-open [i (wasm/load @numbers {:engine engine})]
      (is (= 7 ((wasm/fn i "add") 3 4)) (str engine)))))

(deftest malformed-modules
  (doseq [bytes [(byte-array 0) (.getBytes "garbage!") (byte-array [0 0x61 0x73 0x6d 1 0 0 0 1])]]
    (let [d (thrown-data #(wasm/module bytes))]
      (is (= :wasm/malformed (:type d)) (pr-str (seq bytes)))))
  (let [good (java.nio.file.Files/readAllBytes (.toPath (io/file (wasm "numbers"))))]
    (doseq [n [4 9 20 (quot (alength good) 2) (dec (alength good))]] ; 8 bytes is a valid empty module
      (is (= :wasm/malformed (:type (thrown-data #(wasm/module (java.util.Arrays/copyOf good (int n))))))
          (str "truncated to " n)))))

(deftest no-such-export
  (with-open [i (wasm/load @numbers)]
    (let [d (thrown-data #(wasm/fn i "nope"))]
      (is (= :wasm/no-such-export (:type d)))
      (is (some #{"add"} (:exports d))))
    (is (= :wasm/no-such-export (:type (thrown-data #(wasm/fn i "memory")))) "not a function")))

(deftest timeout-stops-a-runaway-call
  (let [i (wasm/load (wasm "traps") {:timeout-ms 100})
        t0 (System/nanoTime)
        d (thrown-data #((wasm/fn i "loop_forever")))
        ms (/ (- (System/nanoTime) t0) 1e6)]
    (is (= :wasm/timeout (:type d)))
    (is (< ms 1000) (str "stopped after " ms " ms"))
    (is (= :wasm/closed (:type (thrown-data #((wasm/fn i "div_by_zero") 1)))) "closed after a timeout")
    (is (not (Thread/interrupted)) "the caller's interrupt flag is left clear")))

(deftest bad-options
  (let [d (thrown-data #(wasm/run (wasm "hello") {:argz ["x"]}))]
    (is (= :wasm/bad-option (:type d)))
    (is (= :argz (:key d))))
  (let [d (thrown-data #(wasm/run (wasm "hello") {:args "x"}))]
    (is (= :wasm/bad-option (:type d)))
    (is (= :args (:key d)))
    (is (= "x" (:value d)))
    (is (string? (:expected d))))
  (is (= :env (:key (thrown-data #(wasm/run (wasm "hello") {:env {"A" 1}})))))
  (is (= :engine (:key (thrown-data #(wasm/load @numbers {:engine :jit})))))
  (is (= :preopens (:key (thrown-data #(wasm/run (wasm "hello") {:preopens {"/x" "/no/such/dir"}})))))
  (is (= :wasm/bad-option (:type (thrown-data #(wasm/load @numbers {:args []})))) "WASI options need load-wasi")
  (is (= :wasm/bad-option (:type (thrown-data #(wasm/load @numbers [:not :a :map]))))))

;; ---- WASI commands ------------------------------------------------------------

(deftest hello-runs
  (is (= {:exit 0 :out "hello, world\n" :err ""} (wasm/run (wasm "hello")))))

(deftest output-goes-to-the-callers-out-at-call-time
  (with-open [i (wasm/load-wasi (wasm "hello"))]
    (let [f (wasm/fn i "_start")]
      (is (= "hello, world\n" (with-out-str (is (= 0 (f))))))))
  (let [w (StringWriter.)]
    (with-open [i (wasm/load-wasi (wasm "exit_with") {:args ["0" "stderr"]})]
      (binding [*err* w] ((wasm/fn i "_start"))))
    (is (= "bye\n" (str w)))))

(deftest output-targets
  (let [buf (ByteArrayOutputStream.)
        w (StringWriter.)]
    (is (= 0 (:exit (wasm/run (wasm "hello") {:stdout buf :stderr w}))))
    (is (= "hello, world\n" (.toString buf "UTF-8"))))
  (is (= {:exit 0} (wasm/run (wasm "hello") {:stdout :discard :stderr :discard}))))

(deftest exit-codes-never-exit-the-jvm
  (doseq [code [0 1 3 42 125]]
    (is (= code (:exit (wasm/run (wasm "exit_with") {:args [(str code)]})))))
  (is (= {:exit 7 :out "exiting\n" :err ""} (wasm/run (wasm "wasi_start_exit"))))
  (testing "a status outside [0, 126) traps, as in wasmtime"
    (let [d (thrown-data #(wasm/run (wasm "exit_with") {:args ["200"]}))]
      (is (= :wasm/trap (:type d)))
      (is (= :invalid-exit-status (:kind d))))))

(deftest stdin-kinds
  (is (= "HELLO ÄÖ\n" (:out (wasm/run (wasm "upper") {:stdin "hello ÄÖ\n"}))))
  (is (= "AB" (:out (wasm/run (wasm "upper") {:stdin (.getBytes "ab")}))))
  (is (= "XY" (:out (wasm/run (wasm "upper") {:stdin (java.io.StringReader. "xy")}))))
  (is (= "QQ" (:out (wasm/run (wasm "upper") {:stdin (java.io.ByteArrayInputStream. (.getBytes "qq"))}))))
  (is (= "n=0\n" (:err (wasm/run (wasm "upper") {})))))

(defn- parse-echo
  "Parses echo_args' length-prefixed dump into {:args [...] :env [...]}."
  [^bytes out]
  (let [s (String. out "UTF-8")
        in (java.io.ByteArrayInputStream. out)
        read-line* (fn [] (loop [sb (StringBuilder.)]
                            (let [c (.read in)]
                              (if (or (= c -1) (= c 10)) (str sb) (recur (.append sb (char c)))))))
        read-entry (fn []
                     (let [header (StringBuilder.)]
                       (.read in) ; the tag
                       (loop [] (let [c (.read in)] (when (not= c (int \:)) (.append header (char c)) (recur))))
                       (let [n (parse-long (str header))
                             bs (.readNBytes in (int n))]
                         (.read in) ; newline
                         (String. bs "UTF-8"))))]
    (let [argc (parse-long (subs (read-line*) 5))
          args (vec (repeatedly argc read-entry))
          envc (parse-long (subs (read-line*) 5))
          env (vec (repeatedly envc read-entry))]
      {:args args :env env :text s})))

(def echo (delay (wasm/module (wasm "echo_args"))))

(defspec utf8-args-and-env-round-trip 100
  (prop/for-all [args (gen/vector gen-unicode-string 0 5)
                 env (gen/vector (gen/tuple (gen/such-that #(and (seq %) (not (str/includes? % "=")))
                                                           gen-unicode-string 50)
                                            gen-unicode-string)
                                 0 5)]
    (let [env (into (array-map) env)
          buf (ByteArrayOutputStream.)
          r (wasm/run @echo {:args args :env env :stdout buf})
          parsed (parse-echo (.toByteArray buf))]
      (and (= 0 (:exit r))
           (= (into ["echo_args.wasm"] args) (:args parsed))
           (= (set (map (fn [[k v]] (str k "=" v)) env)) (set (:env parsed)))))))

(deftest argv0-can-be-set
  (let [buf (ByteArrayOutputStream.)]
    (wasm/run @echo {:argv0 "prog" :args ["x"] :stdout buf})
    (is (= ["prog" "x"] (:args (parse-echo (.toByteArray buf)))))))

(deftest sixteen-threads-see-only-their-own-stdio
  (let [m (wasm/module (wasm "upper"))
        pool (Executors/newFixedThreadPool 16)]
    (try
      (let [jobs (for [t (range 16)]
                   (let [input (apply str (repeat 200 (str "thread-" t " line\n")))]
                     [input (.submit pool ^Callable #(wasm/run m {:stdin input}))]))]
        (doseq [[input ^Future fut] (doall jobs)]
          (let [{:keys [exit out err]} (.get fut)]
            (is (= 0 exit))
            (is (= (str/upper-case input) out))
            (is (= (str "n=" (count input) "\n") err)))))
      (finally (.shutdownNow pool)))))

(deftest stdin-streams-as-it-arrives
  (let [pipe-out (PipedOutputStream.)
        pipe-in (PipedInputStream. pipe-out)
        got (java.util.concurrent.LinkedBlockingQueue.)
        out (proxy [java.io.OutputStream] []
              (write
                ([b] (.put got (str (char b))))
                ([^bytes b off len] (.put got (String. b (int off) (int len) "UTF-8")))))
        runner (future (wasm/run (wasm "cat") {:stdin pipe-in :stdout out}))]
    (.write pipe-out (.getBytes "first\n"))
    (.flush pipe-out)
    (is (= "first\n" (.poll got 5 java.util.concurrent.TimeUnit/SECONDS))
        "the first line comes out before the second is written")
    (.write pipe-out (.getBytes "second\n"))
    (.close pipe-out)
    (is (= 0 (:exit (deref runner 5000 :timeout))))
    (is (= "second\n" (.poll got 5 java.util.concurrent.TimeUnit/SECONDS)))))

(deftest clock-and-random-options
  (let [run #(wasm/run (wasm "clock_random") {:clock 1700000000123456789 :random 42})
        a (run) b (run)]
    (is (= a b) "fixed clock and seed make runs identical")
    (is (str/includes? (:out a) "realtime=1700000000123456789")))
  (is (not= (:out (wasm/run (wasm "clock_random") {:random 1}))
            (:out (wasm/run (wasm "clock_random") {:random 2})))))

(deftest trace-records-wasi-calls
  (let [{:keys [trace exit]} (wasm/run (wasm "wasi_start_exit") {:trace true})]
    (is (= 7 exit))
    (is (= ["fd_write" "proc_exit"] (map :fn trace)))
    (is (= {:rval 7} (:args (last trace))))
    (is (nil? (:errno (last trace))) "proc_exit returns nothing"))
  (let [r (wasm/run (wasm "hello") {:trace true})
        writes (filter #(= "fd_write" (:fn %)) (:trace r))]
    (is (seq writes))
    (is (every? #(= :success (:errno %)) writes))
    (is (= 1 (get-in (first writes) [:args :fd])))
    (is (every? #(nat-int? (:nanos %)) (:trace r)))))

;; wasi_snapshot_preview1's errnos in the witx's order: the event's :errno is the name
;; of the number the call returned
(def ^:private witx-errnos
  [:success :2big :acces :addrinuse :addrnotavail :afnosupport :again :already :badf :badmsg
   :busy :canceled :child :connaborted :connrefused :connreset :deadlk :destaddrreq :dom
   :dquot :exist :fault :fbig :hostunreach :idrm :ilseq :inprogress :intr :inval :io :isconn
   :isdir :loop :mfile :mlink :msgsize :multihop :nametoolong :netdown :netreset :netunreach
   :nfile :nobufs :nodev :noent :noexec :nolck :nolink :nomem :nomsg :noprotoopt :nospc
   :nosys :notconn :notdir :notempty :notrecoverable :notsock :notsup :notty :nxio :overflow
   :ownerdead :perm :pipe :proto :protonosupport :prototype :range :rofs :spipe :srch :stale
   :timedout :txtbsy :xdev :notcapable])

(def ^:private traced-params
  {"fd_seek" [:fd :offset :whence :newoffset-ptr]
   "path_open" [:fd :dirflags :path :path-len :oflags :fs-rights-base :fs-rights-inheriting
                :fdflags :fd-ptr]
   "sched_yield" []})

(def ^:private gen-i32 (gen/fmap unchecked-int gen/large-integer))

(defspec trace-events-name-every-argument 60
  ;; each export of wasi_trace passes its arguments on to the WASI function of its name:
  ;; the one event it leaves names that function, each argument by its witx name with the
  ;; value passed (i32 as the signed value, i64 as it is), the errno returned and a time
  (prop/for-all [f (gen/elements (keys traced-params))
                 small (gen/vector (gen/choose 0 40) 9)
                 wide (gen/vector gen-i32 9)
                 i64s (gen/vector gen/large-integer 2)
                 use-small gen/boolean]
    (let [i32s (if use-small small wide)
          args (case f
                 "fd_seek" [(i32s 0) (i64s 0) (i32s 1) (i32s 2)]
                 "path_open" (-> (subvec i32s 0 5) (conj (i64s 0) (i64s 1) (i32s 5) (i32s 6)))
                 "sched_yield" [])]
      (with-open [inst (wasm/load-wasi (wasm "wasi_trace") {:trace true :preopens {}})]
        (let [errno (apply (wasm/fn inst f) args)
              [event & more] (wasm/trace inst)]
          (and (nil? more)
               (= #{:fn :args :errno :nanos} (set (keys event)))
               (= f (:fn event))
               (= (zipmap (traced-params f) (map long args)) (:args event))
               (= (witx-errnos errno) (:errno event))
               (nat-int? (:nanos event))))))))

(deftest trace-events-through-the-java-api
  (let [calls (atom [])
        tracer (reify cljwasi.wasi.WasiTracer (onCall [_ c] (swap! calls conj c)))
        inst (-> (cljwasi.ModuleInstance/builder (cljwasi.Module/parse (java.nio.file.Path/of (wasm "wasi_trace") (make-array String 0))))
                 (.wasi (-> (cljwasi.wasi.WasiOptions/builder) (.tracer tracer) (.build)))
                 (.build))]
    (with-open [^java.io.Closeable inst inst]
      (is (= [8] (vec (.call ^cljwasi.ModuleInstance inst "fd_seek" (long-array [77 -5 0 0])))))
      (is (= [0] (vec (.call ^cljwasi.ModuleInstance inst "sched_yield" (long-array 0)))))
      (let [[^cljwasi.wasi.WasiCall seek ^cljwasi.wasi.WasiCall yield] @calls]
        (is (= "fd_seek" (.function seek)))
        (is (= ["fd" "offset" "whence" "newoffset_ptr"] (vec (keys (.args seek)))) "in witx order")
        (is (= [77 -5 0 0] (vec (vals (.args seek)))))
        (is (= "badf" (.errno seek)))
        (is (= {} (.args yield)))
        (is (= "success" (.errno yield)))
        (is (thrown? UnsupportedOperationException (.put (.args seek) "fd" 1)) "read-only")
        (is (= [] (vec (.boundAddresses ^cljwasi.ModuleInstance inst))) "no listeners")))))

(deftest output-limit
  (let [r (wasm/run (wasm "upper") {:stdin (apply str (repeat 1000 "x")) :max-output-bytes 100})]
    (is (= 100 (count (:out r))) "the bytes before the limit are kept")))

(deftest preopened-directory-round-trip
  (with-temp-dir [dir]
    (spit (io/file dir "in.txt") "seed data\n")
    (let [r (wasm/run (wasm "fileio") {:args ["/sandbox"] :preopens {"/sandbox" (str dir)}})]
      (is (= 0 (:exit r)) (:err r))
      (is (str/includes? (:out r) "written by wasm"))
      (is (str/includes? (:out r) "in: seed data"))
      (is (str/includes? (:out r) "entry: in.txt"))
      (is (= "written by wasm\n" (slurp (io/file dir "out.txt")))))))
