(ns clj-wasi.linking-test
  "Instances linked through the Java API (ModuleInstance.exportAs, Builder.importValue):
  an imported memory, global and table are the exporter's own, shared both ways; an
  imported function calls the exporter's; what is missing or of the wrong type fails as
  documented. (The spec test suite links instances the same way: wasm-spec-test.)"
  (:require [clj-wasi.test-util :refer [wasm]]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module ModuleInstance WasmException)))

(def ^:private provider (delay (Module/parse (.toPath (java.io.File. ^String (wasm "link_provider"))))))
(def ^:private user (delay (Module/parse (.toPath (java.io.File. ^String (wasm "link_user"))))))

(def ^:private user-imports
  "link_user's import name -> the link_provider export it takes."
  {"mem" "mem" "counter" "counter" "seed" "seed" "tbl" "tbl" "triple" "triple"})

(defn- instance ^ModuleInstance [^Module m engine]
  (.build (.engine (ModuleInstance/builder m) engine)))

(defn- link
  "link_user on `engine`, importing `imports` (its import name -> provider export) from `p`."
  ^ModuleInstance [^ModuleInstance p engine imports]
  (let [b (.engine (ModuleInstance/builder @user) engine)]
    (doseq [[import-name export-name] imports]
      (.importValue b (.exportAs p export-name "p" import-name)))
    (.build b)))

(defn- call1 [^ModuleInstance i f & args]
  (first (.call i ^String f (long-array args))))

(defspec linked-instances-share-memory-globals-and-tables 40
  (prop/for-all [engine (gen/elements [Engine/INTERPRETER Engine/COMPILER Engine/AUTO])
                 addr (gen/choose 0 (- 65536 4))
                 value (gen/fmap unchecked-int gen/large-integer)
                 delta gen/large-integer
                 counter gen/large-integer
                 n (gen/fmap unchecked-int gen/large-integer)]
    (with-open [p (instance @provider engine)
                u (link p engine user-imports)]
      (let [p-counter #(.getValue (.. p chicory exports (global "counter")))]
        (.call u "store" (long-array [addr value]))
        (and (= value (unchecked-int (call1 p "load" addr)))          ; memory, user -> provider
             (do (.call p "bump" (long-array [delta]))
                 (= delta (call1 u "counter")))                         ; global, provider -> user
             (do (.call u "set-counter" (long-array [counter]))
                 (= counter (p-counter)))                               ; global, user -> provider
             (= 42 (call1 u "seed"))
             (= (unchecked-int (* 3 n)) (unchecked-int (call1 u "call-triple" n)))
             (= (unchecked-int (* 3 n)) (unchecked-int (call1 u "call-table" 0 n)))))))) ; table

(defn- failure [f]
  (try (f) nil (catch WasmException e {:type (.type e) :data (into {} (.data e)) :message (.getMessage e)})))

(deftest what-cannot-link-fails-as-documented
  (doseq [engine [Engine/INTERPRETER Engine/COMPILER Engine/AUTO]]
    (with-open [p (instance @provider engine)]
      (testing "missing imports are all named"
        (let [{:keys [type data]} (failure #(link p engine (dissoc user-imports "tbl" "seed")))]
          (is (= "missing-imports" type))
          (is (= #{["p" "tbl"] ["p" "seed"]}
                 (set (map (juxt #(get % "module") #(get % "name")) (get data "missing")))))))
      (testing "a global of another type"
        (is (= "import-mismatch"
               (:type (failure #(link p engine (assoc user-imports "counter" "seed")))))))
      (testing "a function of another type"
        (is (= "import-mismatch"
               (:type (failure #(link p engine (assoc user-imports "triple" "bump")))))))
      (testing "a kind for another kind"
        (is (= "missing-imports"
               (:type (failure #(link p engine (assoc user-imports "mem" "counter")))))))
      (testing "an export the instance lacks"
        (is (= "no-such-export" (:type (failure #(.exportAs p "nope" "p" "nope")))))))))
