(ns clj-wasi.wasi-misc-test
  "WASI outside the file system: args, environ, clocks, random, sched_yield,
  proc_raise and proc_exit, success and error paths."
  (:require [clj-wasi.test-util :refer [wasm]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is]]))

(defn- check-lines [{:keys [out exit err]}]
  (let [lines (str/split-lines out)]
    (doseq [l lines :when (str/starts-with? l "FAIL")] (is false l))
    (is (re-matches #"checks [1-9]\d* fails 0" (last lines)) (str "last line: " (last lines) err))
    (is (= 0 exit))))

(deftest args-environ-clocks-random-sched-proc-raise
  (doseq [engine [:interpreter :auto]]
    (check-lines (wasm/run (wasm "misc_calls") {:engine engine :args ["one" "two"]
                                                :env (array-map "A" "1" "BB" "22")}))))

(deftest deterministic-clock-and-random
  (let [opts {:args ["one" "two"] :env (array-map "A" "1" "BB" "22") :clock 1700000000000000000 :random 7}]
    (check-lines (wasm/run (wasm "misc_calls") opts))))

(deftest proc-exit-codes
  (doseq [code [0 1 77 125]]
    (is (= code (:exit (wasm/run (wasm "exit_with") {:args [(str code)]})))))
  (is (= :invalid-exit-status
         (:kind (try (wasm/run (wasm "exit_with") {:args ["126"]})
                     (catch clojure.lang.ExceptionInfo e (ex-data e)))))))
