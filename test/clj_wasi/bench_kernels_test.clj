(ns clj-wasi.bench-kernels-test
  "The benchmark's issue-15 kernels (bench/wasm/*.wasm) against the checksums the
  benchmark computes for them on the JVM (clj-wasi.bench.kernels), on random small
  workloads: a kernel and its re-implementation that drift apart fail here rather than
  as a FAILED cell in a benchmark run. And the benchmark's reading of HotSpot's
  PrintCompilation and class-load logs (clj-wasi.bench.hotspot)."
  (:require [clj-wasi.bench.hotspot :as hotspot]
            [clj-wasi.bench.kernels :as kernels]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop]))

;; compiled once per kernel; each trial only instantiates and runs (:auto: the SIMD
;; kernels' vector functions are interpreted, which is fine at these sizes)
(def ^:private modules
  (into {} (for [n ["vm" "sortcmp" "lz77" "hashmap" "vcall" "biquad" "simd_dot" "simd_scan" "simd_blend"]]
             [n (delay (wasm/module (str "bench/wasm/" n ".wasm")))])))

(defn- run-kernel [name args]
  (wasm/run @(modules name) {:engine :auto :args (mapv str args) :argv0 (str name ".wasm")}))

(def ^:private workloads
  "Small random argument lists per kernel (the C's own argument order)."
  {"vm" (gen/tuple (gen/choose 1 400))
   "sortcmp" (gen/tuple (gen/choose 1 600) (gen/choose 1 3))
   "hashmap" (gen/tuple (gen/choose 0 4000) (gen/choose 1 600))
   "vcall" (gen/tuple (gen/choose 0 30) (gen/choose 1 64))
   "biquad" (gen/tuple (gen/choose 0 3000))
   "simd_dot" (gen/tuple (gen/choose 4 300) (gen/choose 1 30))
   "simd_scan" (gen/tuple (gen/choose 1 8) (gen/choose 1 3))
   "simd_blend" (gen/tuple (gen/choose 1 300) (gen/choose 1 12))})

(defspec kernels-print-what-the-jvm-computes 40
  (prop/for-all [[name args] (gen/bind (gen/elements (sort (keys workloads)))
                                       (fn [n] (gen/fmap #(vector n %) (workloads n))))]
    (let [r (run-kernel name args)]
      (and (zero? (:exit r))
           (= (kernels/expected-output {:name name :args (mapv str args)}) (:out r))))))

(defspec lz77-round-trips 8
  ;; the guest decompresses what it compressed and exits 1 when the text differs
  (prop/for-all [kib (gen/choose 1 24)]
    (let [r (run-kernel "lz77" [kib 1])]
      (and (zero? (:exit r)) (str/starts-with? (:out r) (format "lz77(%d KiB x 1) = " kib))))))

(deftest lz77-matches-native-c
  (testing "the quick workload prints what the same C built natively printed"
    (let [k (first (filter #(= "lz77" (:name %)) kernels/realcode-quick))]
      (is (= (kernels/expected-output k) (:out (run-kernel "lz77" (:args k))))))))

(deftest unknown-kernels-have-no-expected-output
  (is (nil? (kernels/expected-output {:name "fib" :args ["10"]}))))

(deftest the-generator-is-xorshift64*
  (testing "xorshift.h's sequence: the state advanced by shifts 12, 25, 27, times the constant"
    (let [next! (kernels/xorshift64*)
          x0 (unchecked-long 0x9E3779B97F4A7C15)
          step (fn [x] (let [x (bit-xor x (unsigned-bit-shift-right x 12))
                             x (bit-xor x (bit-shift-left x 25))]
                         (bit-xor x (unsigned-bit-shift-right x 27))))
          states (rest (iterate step x0))]
      (is (= (map #(unchecked-multiply % (unchecked-long 0x2545F4914F6CDD1D)) (take 5 states))
             (repeatedly 5 next!))))))

;; ---------------------------------------------------------------------------
;; the PrintCompilation reader

(def ^:private gen-name
  (gen/fmap #(apply str "f" %) (gen/vector gen/char-alphanumeric 0 8)))

(def ^:private gen-compile-event
  (gen/hash-map :stamp (gen/choose 0 999999) :id (gen/choose 1 99999)
                :osr? gen/boolean :excp? gen/boolean :level (gen/choose 1 4)
                :class (gen/fmap #(str "pkg.$gen.C" %) gen-name) :method gen-name
                :bci (gen/choose 0 5000) :bytes (gen/choose 1 70000)
                :event (gen/elements [:compiled :not-entrant :skipped])))

(defn- print-compilation-line
  "A line as HotSpot's CompileTask::print writes it: time, id, the five attribute columns
  (% s ! b n), level, method, OSR bci, size, event."
  [{:keys [stamp id osr? excp? level class method bci bytes event]}]
  (format "%7d %5d %s  %s  %d       %s::%s%s (%d bytes)%s"
          stamp id (if osr? "%" " ") (if excp? "!" " ") level class method
          (if osr? (str " @ " bci) "") bytes
          (case event
            :compiled ""
            :not-entrant "   made not entrant"
            :skipped "   COMPILE SKIPPED: out of nodes during split (retry at different tier)")))

(defspec print-compilation-lines-parse-back 100
  (prop/for-all [evs (gen/vector gen-compile-event 1 20)]
    (let [noise ["Started recording 1." "  (JVM log line)" ""]
          parsed (hotspot/parse-print-compilation
                  (str/join "\n" (interleave (map print-compilation-line evs) (cycle noise))))]
      (= (for [{:keys [class method level osr? bytes event]} evs]
           (cond-> {:class class :method (str class "::" method) :level level :osr? osr?
                    :bytes bytes :event event}
             (= event :skipped) (assoc :reason "out of nodes during split (retry at different tier)")))
         parsed))))

(deftest class-loads-keep-only-classes-made-at-run-time
  (let [log (str/join "\n"
                      ["[0.01s][info ][class,load] java.lang.Object source: shared objects file"
                       "[0.01s][debug][class,load]  klass: 0x1 super: 0x0 loader: [loader data: 0x2 of 'bootstrap'] bytes: 10"
                       "[0.5s][info ][class,load] user$eval1 source: __JVM_DefineClass__"
                       "[0.5s][debug][class,load]  klass: 0x3 super: 0x1 loader: [loader data: 0x4 for instance a 'clojure/lang/DynamicClassLoader'{0x5}] bytes: 900"
                       "[0.6s][info ][class,load] a.Lib source: file:/x.jar"
                       "[0.6s][debug][class,load]  klass: 0x6 super: 0x1 loader: [loader data: 0x7 for instance a 'jdk/internal/loader/ClassLoaders$AppClassLoader'{0x8}] bytes: 300"
                       "[3.4s][info ][class,load] com.x.$gen.Machine source: __JVM_DefineClass__"
                       "[3.4s][debug][class,load]  klass: 0x9 super: 0x1 loader: [loader data: 0xa for instance a 'com/x/WasmClassLoader'{0xb}] bytes: 42456 checksum: f48d6894"])]
    (is (= {"com.x.$gen.Machine" {:loader "com/x/WasmClassLoader" :bytes 42456}}
           (hotspot/parse-class-loads log)))))

(deftest summaries-separate-deoptimised-c2-code-from-replaced-c1-code
  (let [gen "g.M"
        evs [{:class gen :method "g.M::hot" :level 3 :osr? false :bytes 300 :event :compiled}
             {:class gen :method "g.M::hot" :level 4 :osr? false :bytes 300 :event :compiled}
             {:class gen :method "g.M::hot" :level 3 :osr? false :bytes 300 :event :not-entrant}
             {:class gen :method "g.M::hot" :level 4 :osr? false :bytes 300 :event :not-entrant}
             {:class gen :method "g.M::warm" :level 3 :osr? false :bytes 40 :event :compiled}
             {:class gen :method "g.M::big" :level 4 :osr? false :bytes 7000 :event :skipped :reason "r"}
             {:class "other.C" :method "other.C::x" :level 4 :osr? false :bytes 5 :event :not-entrant}]
        s (hotspot/summarize {:compilations evs
                              :classes {gen {:loader "L" :bytes 1000}}
                              :sizes {"g.M::hot" 300 "g.M::warm" 40 "g.M::big" 7000
                                      "g.M::cold" 12 "g.M::huge" 9000}
                              :deoptimizations [{:method "g.M::hot" :bci 7 :instruction "ifeq"
                                                 :reason "unstable_if" :action "reinterpret"}
                                                {:method "other.C::x" :bci 1 :instruction "checkcast"
                                                 :reason "class_check" :action "none"}]})]
    (is (= 1 (:c2 s)))
    (is (= ["g.M::big" "g.M::warm"] (:below-c2 s)) "largest first")
    (is (= [["g.M::hot" false]] (:deopt-c2 s)))
    (is (= 1 (:replaced s)))
    (is (= [["g.M::big" 4 "r"]] (:skipped s)))
    (is (= ["g.M::huge" "g.M::cold"] (:never-compiled s)))
    (is (= ["g.M::huge"] (:huge s)) (str "over " hotspot/huge-method-limit " bytes"))
    (is (= ["g.M::huge" 9000] (:largest s)))
    (is (= [[["g.M::hot" 7 "ifeq" "unstable_if" "reinterpret"] 1]] (:traps s))
        "only generated classes' deoptimisations")))
