(ns clj-wasi.impl.memory
  "Linear memory and globals from Clojure: bounds-checked typed and C-string access,
  exported globals, the types of memories, tables and globals as data, and passing
  strings and bytes into a guest call through the guest's own allocator."
  (:require [clj-wasi.impl.errors :as errors]
            [clj-wasi.impl.values :as values])
  (:import (cljwasi Module ModuleInstance)
           (com.dylibso.chicory.runtime GlobalInstance Memory)
           (com.dylibso.chicory.wasm WasmModule)
           (com.dylibso.chicory.wasm.types Export ExternalType Global GlobalImport Import
                                            MemoryImport MemoryLimits MemorySection MutabilityType Table
                                            TableImport TableLimits ValType)
           (java.nio.charset StandardCharsets)))

(set! *warn-on-reflection* true)

;; --- types of memories, tables and globals, for exports/imports ---------------------

(defn- limits-map [^long min ^long max]
  {:min min :max max})

(defn- memory-type [^MemoryLimits l]
  (assoc (limits-map (.initialPages l) (.maximumPages l)) :shared (.shared l)))

(defn- table-type [^ValType t ^TableLimits l]
  (assoc (limits-map (.min l) (.max l)) :element (keyword (Module/typeName t))))

(defn- global-type [^ValType t ^MutabilityType m]
  {:type (keyword (Module/typeName t)) :mutable (= MutabilityType/Var m)})

(defn- import-type
  "The type data of import `i`; nil for a function (its types are in its Signature)."
  [^Import i]
  (condp instance? i
    MemoryImport (memory-type (.limits ^MemoryImport i))
    TableImport (table-type (.entryType ^TableImport i) (.limits ^TableImport i))
    GlobalImport (global-type (.type ^GlobalImport i) (.mutabilityType ^GlobalImport i))
    nil))

(defn- defined-type
  "The type data of the module's own memory, table or global number `i` (of `kind`)."
  [^WasmModule m kind ^long i]
  (condp = kind
    ExternalType/MEMORY (memory-type (.limits (.getMemory ^MemorySection (.get (.memorySection m)) i)))
    ExternalType/TABLE (let [^Table t (.getTable (.tableSection m) i)]
                         (table-type (.elementType t) (.limits t)))
    ExternalType/GLOBAL (let [^Global g (.getGlobal (.globalSection m) i)]
                          (global-type (.valueType g) (.mutabilityType g)))))

(defn- imports-of [^WasmModule m]
  (map #(.getImport (.importSection m) %) (range (.importCount (.importSection m)))))

(defn- type-at
  "The type data of entity `idx` of `kind` in the module's index space, where the
  imported ones come first."
  [^WasmModule m ^ExternalType kind ^long idx]
  (let [imps (filterv #(= kind (.importType ^Import %)) (imports-of m))]
    (if (< idx (count imps))
      (import-type (imps idx))
      (defined-type m kind (- idx (count imps))))))

(defn export-types
  "Export name -> the type data of each memory, table and global export of `module`."
  [^Module module]
  (let [m (.parsed module)
        sec (.exportSection m)]
    (into {} (for [i (range (.exportCount sec))
                   :let [^Export e (.getExport sec i)
                         k (.exportType e)]
                   :when (#{ExternalType/MEMORY ExternalType/TABLE ExternalType/GLOBAL} k)]
               [(.name e) (type-at m k (.index e))]))))

(defn import-types
  "The type data of each import of `module` in order (nil for functions)."
  [^Module module]
  (mapv import-type (imports-of (.parsed module))))

;; --- bounds-checked memory access ----------------------------------------------------

(defn memory ^Memory [^ModuleInstance j]
  (errors/translating (.memory j)))

(defn size
  "The memory's size in bytes."
  ^long [^Memory m]
  (* 65536 (long (.pages m))))

(defn check-range
  "Throws :wasm/out-of-bounds unless bytes [offset, offset+len) are inside `m`."
  [^Memory m offset len]
  (let [size (size m)]
    (when-not (and (integer? offset) (integer? len)
                   (<= 0 offset) (<= 0 len) (<= (+ offset len) size))
      (errors/fail :out-of-bounds
                   (format "bytes [%s, %s) are outside memory of %d bytes" offset
                           (if (and (integer? offset) (integer? len)) (+ offset len) "?") size)
                   {:offset offset :length len :memory-size size}))))

(def ^:private widths {:i32 4 :i64 8 :f32 4 :f64 8})

(defn- check-type [ty]
  (when-not (widths ty)
    (errors/fail :bad-argument (format "value type must be one of :i32 :i64 :f32 :f64, got %s" (pr-str ty))
                 {:value ty :expected "one of :i32 :i64 :f32 :f64"})))

(defn read-value
  "The value of type `ty` stored little-endian at `offset`."
  [^Memory m ty offset]
  (check-type ty)
  (check-range m offset (widths ty))
  (let [o (int offset)]
    (case ty
      :i32 (long (.readInt m o))
      :i64 (.readLong m o)
      :f32 (.readFloat m o)
      :f64 (.readDouble m o))))

(defn write-value!
  "Stores `v` as type `ty` at `offset` (range-checked as a call argument would be)."
  [^Memory m ty offset v]
  (check-type ty)
  (check-range m offset (widths ty))
  (let [o (int offset)
        bits (values/to-wasm ty (str "write " (name ty)) 0 v)]
    (case ty
      :i32 (.writeI32 m o (unchecked-int bits))
      :i64 (.writeLong m o bits)
      :f32 (.writeI32 m o (unchecked-int bits)) ; the raw bits: a NaN payload survives
      :f64 (.writeLong m o bits))
    nil))

(defn read-cstring
  "The NUL-terminated UTF-8 string at `offset` (without the NUL). A string that runs
  to the end of memory without a NUL is out of bounds."
  [^Memory m offset]
  (check-range m offset 0)
  (let [size (size m)
        end (loop [i (long offset)]
              (cond
                (>= i size) (errors/fail :out-of-bounds
                                         (format "no NUL terminator between %d and the end of memory (%d bytes)"
                                                 offset size)
                                         {:offset offset :length (- size (long offset)) :memory-size size})
                (zero? (.read m (int i))) i
                :else (recur (inc i))))]
    (String. (.readBytes m (int offset) (int (- (long end) (long offset)))) StandardCharsets/UTF_8)))

(defn cstring-bytes
  "`s` as UTF-8 with a NUL terminator; a string containing NUL is refused."
  ^bytes [^String s]
  (when (.contains s "\u0000")
    (errors/fail :bad-argument "a C string cannot contain NUL (\\u0000)"
                 {:value s :expected "a string without NUL characters"}))
  (let [b (.getBytes s StandardCharsets/UTF_8)]
    (java.util.Arrays/copyOf b (inc (alength b)))))

(defn read-bytes
  "`len` bytes from `offset`, as a byte array."
  ^bytes [^Memory m offset len]
  (check-range m offset len)
  (.readBytes m (int offset) (int len)))

(defn write-bytes!
  "Writes `bs` at `offset`; returns the count."
  [^Memory m offset ^bytes bs]
  (check-range m offset (alength bs))
  (.write m (int offset) bs)
  (alength bs))

;; A string `wasm/call` passes as one pointer to a NUL-terminated copy (`wasm/cstr`).
(deftype CString [^String s])

;; --- exported globals ------------------------------------------------------------------

(defn- global-instance ^GlobalInstance [^ModuleInstance j ^String gname]
  (when (.isClosed j)
    (errors/fail :closed (str (.name (.module j)) " is closed") {:name (.name (.module j))}))
  (let [s (get (.exports (.module j)) gname)]
    (when-not (and s (= "global" (.kind ^cljwasi.Signature s)))
      (errors/fail :no-such-export (format "%s exports no global named %s" (.name (.module j)) gname)
                   {:name gname :exports (vec (keys (.exports (.module j))))}))
    (.global (.exports (.chicory j)) gname)))

(defn global-value
  "The current value of exported global `gname`, as a call result would be."
  [^ModuleInstance j gname]
  (let [g (global-instance j gname)
        ty (keyword (Module/typeName (.getType g)))]
    (if (widths ty)
      (values/from-wasm ty (.getValue g))
      (errors/fail :unsupported-type (format "global %s has type %s, which clj-wasi cannot read" gname (name ty))
                   {:name gname :type ty}))))

(defn set-global!
  "Sets exported mutable global `gname` to `v` (range-checked as a call argument)."
  [^ModuleInstance j gname v]
  (let [g (global-instance j gname)
        ty (keyword (Module/typeName (.getType g)))]
    (when-not (= MutabilityType/Var (.getMutabilityType g))
      (errors/fail :bad-argument (format "global %s is immutable" gname)
                   {:name gname :value v :expected "a mutable global"}))
    (when-not (widths ty)
      (errors/fail :unsupported-type (format "global %s has type %s, which clj-wasi cannot set" gname (name ty))
                   {:name gname :type ty}))
    (.setValue g (values/to-wasm ty (str "global " gname) 0 v))
    nil))
